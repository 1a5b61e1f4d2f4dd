"""A local stand-in for Alipay's open-platform gateway, speaking its protocol so that the official
SDK runs unchanged (api.md, `run_payment_gateway`): form requests signed RSA2 with the app's key,
JSON answers signed with the gateway's key, the transfer, query and bill-download methods.

It de-duplicates by out_biz_no as Alipay does, and decides by the payee account's ending:
`-frozen` → refused (PAYEE_ACCOUNT_STATUS_ERROR); `-timeout` → the transfer is made, the answer
comes only after `slow_seconds`; `-busy` → SYSTEM_ERROR the first time a number is sent, then
normal; anything else → success. Its daily bill lists exactly the transfers it made."""

import base64
import datetime as dt
import hashlib
import hmac
import json
import threading
import time
import urllib.parse
from decimal import Decimal, InvalidOperation
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import rsa

from kernel.timeutil import SHANGHAI
from payments.providers.alipay_bill import write_bill

from .keys import standin_keys

FROZEN = ("PAYEE_ACCOUNT_STATUS_ERROR", "收款方账户状态异常，请确认收款账户是否冻结或注销")
BUSY = ("SYSTEM_ERROR", "系统繁忙")
NOT_FOUND = ("ORDER_NOT_EXIST", "转账订单不存在")


def _sign(private_pem, text):
    key = rsa.PrivateKey.load_pkcs1(private_pem.encode())
    return base64.b64encode(rsa.sign(text.encode("utf-8"), key, "SHA-256")).decode()


def _verified(public_pem, params):
    signature = params.get("sign", "")
    content = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k != "sign")
    try:
        rsa.verify(
            content.encode("utf-8"),
            base64.b64decode(signature),
            rsa.PublicKey.load_pkcs1_openssl_pem(public_pem.encode()),
        )
    except (rsa.VerificationError, ValueError):
        return False
    return True


class GatewayState:
    """What the gateway did, one JSON line per outcome when `path` is given (so a restart keeps
    its bill), in memory otherwise."""

    def __init__(self, path: Path | None = None):
        self.path = path
        self.lock = threading.Lock()
        self.orders = {}  # out_biz_no → {out_biz_no, order_id, payee, amount, paid_at, result, code, reason}
        self.busy_seen: set[str] = set()
        self.transfer_calls = 0
        self.clock = partial(dt.datetime.now, SHANGHAI)  # when transfers are made
        if path and path.exists():
            for line in path.read_text().splitlines():
                order = json.loads(line)
                self.orders[order["out_biz_no"]] = order

    def _keep(self, order):
        self.orders[order["out_biz_no"]] = order
        if self.path:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a") as out:
                out.write(json.dumps(order, ensure_ascii=False) + "\n")

    def transfer(self, out_biz_no, payee, amount, title):
        """The order as it stands after this request, or None for a 'system busy' answer."""
        with self.lock:
            self.transfer_calls += 1
            if out_biz_no in self.orders:
                return self.orders[out_biz_no]
            if payee.endswith("-busy") and out_biz_no not in self.busy_seen:
                self.busy_seen.add(out_biz_no)
                return None
            order = {"out_biz_no": out_biz_no, "payee": payee, "amount": str(amount), "title": title}
            if payee.endswith("-frozen"):
                order.update(result="FAIL", code=FROZEN[0], reason=FROZEN[1])
            else:
                now = self.clock().astimezone(SHANGHAI)
                order.update(
                    result="SUCCESS",
                    order_id=f"{now:%Y%m%d}{len(self.orders) + 1:012d}",
                    paid_at=f"{now:%Y-%m-%d %H:%M:%S}",
                )
            self._keep(order)
            return order

    def made_on(self, day):
        with self.lock:
            return [
                o for o in self.orders.values() if o["result"] == "SUCCESS" and o["paid_at"].startswith(day.isoformat())
            ]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    @property
    def gateway(self):
        return self.server.gateway

    def log_message(self, format, *args):  # noqa: A002 — the base class's signature
        if self.gateway.verbose:
            super().log_message(format, *args)

    def _send(self, status, body, content_type):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: N802 — http.server's naming
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        try:
            day = dt.datetime.strptime(query.get("bizDates", ""), "%Y%m%d").date()
        except ValueError:
            day = None
        if (
            url.path != "/downloadBillFile.resource"
            or day is None
            or not hmac.compare_digest(query.get("token", ""), self.gateway.bill_token(day))
        ):
            return self._send(404, b"not found", "text/plain")
        bill = write_bill(day, self.gateway.app_id, self.gateway.book.made_on(day))
        self._send(200, bill, "application/zip")

    def do_POST(self):  # noqa: N802
        url = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        params = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        params.update(urllib.parse.parse_qsl(self.rfile.read(length).decode("utf-8"), keep_blank_values=True))
        method = params.get("method", "")
        if url.path != "/gateway.do" or not method:
            return self._send(404, b"not found", "text/plain")
        if not _verified(self.gateway.keys["app_public"], params):
            return self._answer(method, self._error("40002", "Invalid Arguments", "isv.invalid-signature", "验签出错"))
        try:
            biz = json.loads(params.get("biz_content") or "{}")
        except json.JSONDecodeError:
            return self._answer(method, self._error("40002", "Invalid Arguments", "isv.invalid-parameter", "参数无效"))
        handler = {
            "alipay.fund.trans.uni.transfer": self._transfer,
            "alipay.fund.trans.common.query": self._query,
            "alipay.data.dataservice.bill.downloadurl.query": self._bill_url,
        }.get(method)
        if handler is None:
            return self._answer(method, self._error("40004", "Business Failed", "isv.invalid-method", "不存在的方法名"))
        handler(method, biz)

    @staticmethod
    def _error(code, msg, sub_code, sub_msg):
        return {"code": code, "msg": msg, "sub_code": sub_code, "sub_msg": sub_msg}

    def _answer(self, method, content):
        text = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
        signature = _sign(self.gateway.keys["gateway_private"], text)
        name = method.replace(".", "_") + "_response"
        body = f'{{"{name}":{text},"sign":"{signature}"}}'.encode()
        self._send(200, body, "text/html;charset=utf-8")

    def _transfer(self, method, biz):
        payee = (biz.get("payee_info") or {}).get("identity", "")
        out_biz_no = biz.get("out_biz_no", "")
        try:
            amount = Decimal(str(biz.get("trans_amount", "")))
        except InvalidOperation:
            amount = Decimal("0")
        if not out_biz_no or not payee or not amount.is_finite() or amount <= 0:
            return self._answer(method, self._error("40004", "Business Failed", "INVALID_PARAMETER", "参数有误"))
        order = self.gateway.book.transfer(out_biz_no, payee, amount, biz.get("order_title", ""))
        if order is None:
            return self._answer(method, self._error("40004", "Business Failed", *BUSY))
        if order["result"] != "SUCCESS":
            return self._answer(method, self._error("40004", "Business Failed", order["code"], order["reason"]))
        if payee.endswith("-timeout"):
            time.sleep(self.gateway.slow_seconds)  # made, but the client has given up waiting
        self._answer(method, {"code": "10000", "msg": "Success", **self._order_fields(order)})

    @staticmethod
    def _order_fields(order):
        return {
            "out_biz_no": order["out_biz_no"],
            "order_id": order["order_id"],
            "pay_fund_order_id": order["order_id"],
            "status": "SUCCESS",
            "trans_date": order["paid_at"],
        }

    def _query(self, method, biz):
        order = self.gateway.book.orders.get(biz.get("out_biz_no", ""))
        if order is None:
            return self._answer(method, self._error("40004", "Business Failed", *NOT_FOUND))
        if order["result"] != "SUCCESS":
            content = {"code": "10000", "msg": "Success", "out_biz_no": order["out_biz_no"], "status": "FAIL"}
            return self._answer(method, content | {"error_code": order["code"], "fail_reason": order["reason"]})
        fields = self._order_fields(order)
        fields["pay_date"] = fields.pop("trans_date")
        self._answer(method, {"code": "10000", "msg": "Success", **fields, "trans_amount": order["amount"]})

    def _bill_url(self, method, biz):
        try:
            day = dt.date.fromisoformat(biz.get("bill_date", ""))
        except ValueError:
            return self._answer(method, self._error("40004", "Business Failed", "isp.bill_date_error", "账单日期有误"))
        host, port = self.server.server_address[:2]
        query = urllib.parse.urlencode({"bizDates": f"{day:%Y%m%d}", "token": self.gateway.bill_token(day)})
        url = f"http://{host}:{port}/downloadBillFile.resource?{query}"
        self._answer(method, {"code": "10000", "msg": "Success", "bill_download_url": url})


class StandInGateway:
    """The stand-in on `host:port` (0: a free port), served from a background thread or forever."""

    def __init__(
        self, *, host="127.0.0.1", port=0, app_id="", keys=None, state_path=None, slow_seconds=20.0, verbose=False
    ):
        self.keys = keys or standin_keys()
        self.app_id = app_id
        self.book = GatewayState(state_path)
        self.slow_seconds = slow_seconds
        self.verbose = verbose
        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self.server.gateway = self
        self.thread = None

    @property
    def url(self):
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/gateway.do"

    def bill_token(self, day):
        secret = hashlib.sha256(self.keys["gateway_private"].encode()).digest()
        return hmac.new(secret, day.isoformat().encode(), hashlib.sha256).hexdigest()[:32]

    def serve_forever(self):
        self.server.serve_forever()

    def start(self):
        self.thread = threading.Thread(target=self.server.serve_forever, name="payment-gateway", daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
