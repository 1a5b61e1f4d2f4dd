"""The one CSV writer (kernel.csv), behind every admin and portal export."""

import csv
import datetime as dt
import io
from decimal import Decimal

from kernel.csv import MERCHANT, STAFF, Column, columns_for, csv_response, export, merchant_only, staff_only


def _rows(response):
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")  # spreadsheet programs then read the Chinese right
    return list(csv.reader(io.StringIO(body[1:])))


def test_an_export_streams_text_a_spreadsheet_shows_as_written():
    moment = dt.datetime(2026, 3, 1, 16, 30, tzinfo=dt.UTC)
    response = csv_response(
        "claims", ["=header", "理由"], [[moment, True, None, Decimal("-12.50"), '=HYPERLINK("x")', "@SUM(A1)"]]
    )
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="claims-')
    header, row = _rows(response)
    assert header == ["'=header", "理由"]
    # Shanghai time, booleans as 1/0, a negative amount stays a number, formulas become text.
    assert row == ["2026-03-02 00:30:00", "1", "", "-12.50", '\'=HYPERLINK("x")', "'@SUM(A1)"]


def test_a_list_is_defined_once_and_each_audience_gets_its_share():
    columns = [
        Column("id", lambda o: o["id"]),
        staff_only("shop", lambda o: o["shop"]),
        merchant_only("deadline", lambda o: o["deadline"]),
    ]
    objects = [{"id": "C1", "shop": "s-1", "deadline": "soon"}]
    assert _rows(export("x", columns_for(columns, STAFF), objects)) == [["id", "shop"], ["C1", "s-1"]]
    assert _rows(export("x", columns_for(columns, MERCHANT), objects)) == [["id", "deadline"], ["C1", "soon"]]
