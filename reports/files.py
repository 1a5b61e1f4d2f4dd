"""Writing a bordereau's CSV and XLSX side by side, one line at a time (R-BDX-1).

Neither file is ever whole in memory: the CSV goes straight to a temporary file, XlsxWriter's
`constant_memory` mode flushes each row as it is written. Cells go through kernel.csv's guard:
a shop's or buyer's words are never run as formulas by the insurer's spreadsheet."""

import csv
import hashlib
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import xlsxwriter

from kernel.csv import cell


class BordereauFiles:
    """Both files of one bordereau, written as its lines arrive; `digest` covers the lines only
    (not the headers, whose language may change), so the same month gives the same digest."""

    def __init__(self, headers: list[Any], money_columns: tuple[int, ...] = ()) -> None:
        self.folder = tempfile.TemporaryDirectory(prefix="bordereau-")
        self.csv_path = Path(self.folder.name) / "bordereau.csv"
        self.xlsx_path = Path(self.folder.name) / "bordereau.xlsx"
        self._csv_file = open(self.csv_path, "w", encoding="utf-8-sig", newline="")  # noqa: SIM115
        self._csv = csv.writer(self._csv_file)
        self._book = xlsxwriter.Workbook(
            str(self.xlsx_path), {"constant_memory": True, "tmpdir": self.folder.name, "strings_to_formulas": False}
        )
        self._sheet = self._book.add_worksheet()
        self._money = self._book.add_format({"num_format": "0.00"})
        self._bold = self._book.add_format({"bold": True})
        self._money_columns = set(money_columns)
        self._hash = hashlib.sha256()
        self.lines = 0
        headers = [str(header) for header in headers]
        self._csv.writerow([cell(h) for h in headers])
        for col, header in enumerate(headers):
            self._sheet.write_string(0, col, cell(header), self._bold)

    def write(self, values) -> None:
        texts = [cell(value) for value in values]
        self._csv.writerow(texts)
        self._hash.update(("\x1f".join(texts) + "\n").encode())
        self.lines += 1
        for col, (value, text) in enumerate(zip(values, texts, strict=True)):
            if isinstance(value, Decimal) and col in self._money_columns:
                self._sheet.write_number(self.lines, col, float(value), self._money)
            elif text:
                self._sheet.write_string(self.lines, col, text)

    @property
    def digest(self) -> str:
        return self._hash.hexdigest()

    def finish(self) -> None:
        self._csv_file.close()
        self._book.close()

    def cleanup(self) -> None:
        if not self._csv_file.closed:
            self._csv_file.close()
        self.folder.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cleanup()
