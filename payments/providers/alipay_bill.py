"""Alipay's account statement (账务明细) as its bill download serves it: a ZIP holding a GBK CSV,
comment lines starting with '#' around one header row and one row per movement. Written by the
stand-in gateway and read by reconciliation, so both sides share one column list."""

import csv
import io
import zipfile
from decimal import Decimal, InvalidOperation

from . import Bill, BillLine

COLUMNS = [
    "账务流水号",
    "业务流水号",
    "商户订单号",
    "商品名称",
    "发生时间",
    "对方账号",
    "收入金额（+元）",
    "支出金额（-元）",
    "账户余额（元）",
    "业务类型",
    "备注",
]
ORDER_NO, PAYEE, SPENT = COLUMNS.index("商户订单号"), COLUMNS.index("对方账号"), COLUMNS.index("支出金额（-元）")
INCOME = COLUMNS.index("收入金额（+元）")
ENCODING = "gbk"


def write_bill(day, account, transfers):
    """The ZIP for `day`: `transfers` are dicts with out_biz_no, order_id, payee, amount, paid_at."""
    text = io.StringIO()
    text.write(f"#支付宝账务明细查询\n#账号：[{account}]\n")
    text.write(f"#起始日期：[{day:%Y年%m月%d日} 00:00:00]   终止日期：[{day:%Y年%m月%d日} 23:59:59]\n")
    text.write("#-----------------------------------------账务明细列表----------------------------------------\n")
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(COLUMNS)
    total = Decimal("0.00")
    for t in transfers:
        total += Decimal(t["amount"])
        writer.writerow(
            [
                t["order_id"],
                t["order_id"],
                t["out_biz_no"],
                t.get("title", ""),
                t["paid_at"],
                t["payee"],
                "",
                f"-{t['amount']}",
                "",
                "转账",
                "",
            ]
        )
    text.write("#-----------------------------------------账务明细列表结束------------------------------------\n")
    text.write(f"#支出合计：{len(transfers)}笔，共{total}元\n")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{account}_{day:%Y%m%d}_账务明细.csv", text.getvalue().encode(ENCODING))
    return archive.getvalue()


def read_bill(data):
    """Every outgoing transfer on the bill; a line that cannot be read is listed, never guessed."""
    bill = Bill()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = [n for n in zf.namelist() if n.endswith(".csv") and "汇总" not in n]
            if len(names) != 1:
                bill.unreadable.append({"line": 0, "text": ", ".join(zf.namelist()), "problem": "no statement CSV"})
                return bill
            raw = zf.read(names[0])
    except zipfile.BadZipFile:
        bill.unreadable.append({"line": 0, "text": data[:80].decode("latin-1"), "problem": "not a ZIP archive"})
        return bill
    try:
        text = raw.decode(ENCODING)
    except UnicodeDecodeError as exc:
        bill.unreadable.append({"line": 0, "text": "", "problem": f"not {ENCODING} text: {exc.reason}"})
        return bill
    header_seen = False
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        row = next(csv.reader([line]))
        if not header_seen:
            if row != COLUMNS:
                bill.unreadable.append({"line": number, "text": line[:300], "problem": "unexpected header"})
                return bill
            header_seen = True
            continue
        if len(row) == len(COLUMNS) and not row[SPENT].strip() and row[INCOME].strip():
            continue  # money coming in is not a payout
        problem = _problem(row)
        if problem:
            bill.unreadable.append({"line": number, "text": line[:300], "problem": problem})
            continue
        spent = row[SPENT].strip()
        bill.lines.append(
            BillLine(number, row[ORDER_NO].strip(), row[PAYEE].strip(), Decimal(spent.lstrip("-")), line[:300])
        )
    if not header_seen:
        bill.unreadable.append({"line": 0, "text": "", "problem": "no header row"})
    return bill


def _problem(row):
    if len(row) != len(COLUMNS):
        return f"{len(row)} fields instead of {len(COLUMNS)}"
    if not row[ORDER_NO].strip() or not row[PAYEE].strip():
        return "no order number or payee"
    try:
        amount = Decimal(row[SPENT].strip().lstrip("-"))
    except InvalidOperation:
        return "unreadable amount"
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        return "unreadable amount"
    return ""
