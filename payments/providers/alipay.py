"""Alipay through its official SDK (alipay-sdk-python): fund transfer, transfer query, bill
download (R-PAY-6, R-PAY-7). Every answer is read into one of the four results; anything the
SDK raises (time-out, refused connection, 5xx, a bad signature on the answer) is UNKNOWN, never
a refusal: money may have left."""

import datetime as dt
import http.client
import urllib.parse
import urllib.request

from alipay.aop.api.AlipayClientConfig import AlipayClientConfig
from alipay.aop.api.DefaultAlipayClient import DefaultAlipayClient
from alipay.aop.api.domain.AlipayDataDataserviceBillDownloadurlQueryModel import (
    AlipayDataDataserviceBillDownloadurlQueryModel,
)
from alipay.aop.api.domain.AlipayFundTransCommonQueryModel import AlipayFundTransCommonQueryModel
from alipay.aop.api.domain.AlipayFundTransUniTransferModel import AlipayFundTransUniTransferModel
from alipay.aop.api.domain.Participant import Participant
from alipay.aop.api.request.AlipayDataDataserviceBillDownloadurlQueryRequest import (
    AlipayDataDataserviceBillDownloadurlQueryRequest,
)
from alipay.aop.api.request.AlipayFundTransCommonQueryRequest import AlipayFundTransCommonQueryRequest
from alipay.aop.api.request.AlipayFundTransUniTransferRequest import AlipayFundTransUniTransferRequest
from alipay.aop.api.response.AlipayDataDataserviceBillDownloadurlQueryResponse import (
    AlipayDataDataserviceBillDownloadurlQueryResponse,
)
from alipay.aop.api.response.AlipayFundTransCommonQueryResponse import AlipayFundTransCommonQueryResponse
from alipay.aop.api.response.AlipayFundTransUniTransferResponse import AlipayFundTransUniTransferResponse
from alipay.aop.api.util import WebUtils
from django.conf import settings

from kernel.timeutil import SHANGHAI

from . import Bill, BillUnavailable, Outcome, Result, Transfer
from .alipay_bill import read_bill

PRODUCT_CODE = "TRANS_ACCOUNT_NO_PWD"
BIZ_SCENE = "DIRECT_TRANSFER"
BILL_TYPE = "signcustomer"  # the account statement: every movement of the paying account
# Answers that say nothing about whether the money moved: ask again by out_biz_no.
UNDECIDED_SUB_CODES = {"SYSTEM_ERROR", "ACQ.SYSTEM_ERROR", "isp.unknow-error", "aop.ACQ.SYSTEM_ERROR"}
NOT_FOUND_SUB_CODES = {"ORDER_NOT_EXIST", "PAYER_OR_PAYEE_NOT_EXIST_IN_ORDER"}


def _http_connection(url, query_string, timeout):
    """alipay-sdk-python 3.7's WebUtils.get_http_connection connects to port 80 (443 for https)
    whatever the gateway URL says, and then adds the URL's port (an int) to a str, so any URL
    with a port fails. This is the same function keeping the port; the rest of the SDK runs as
    shipped."""
    parts = urllib.parse.urlsplit(url)
    secure = parts.scheme == "https"
    connection_class = http.client.HTTPSConnection if secure else http.client.HTTPConnection
    connection = connection_class(host=parts.hostname, port=parts.port or (443 if secure else 80), timeout=timeout)
    return f"{parts.scheme}://{parts.netloc}{parts.path}?{query_string}", connection


WebUtils.get_http_connection = _http_connection


def _shanghai_time(text):
    if not text:
        return None
    try:
        return dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=SHANGHAI)
    except ValueError:
        return None


class AlipayProvider:
    def __init__(self, *, app_id, gateway_url, app_private_key, alipay_public_key, timeout=15):
        config = AlipayClientConfig()
        config.app_id = app_id
        config.server_url = gateway_url
        config.app_private_key = app_private_key
        config.alipay_public_key = alipay_public_key
        config.sign_type = "RSA2"
        config.timeout = timeout
        self.timeout = timeout
        # No SDK logger: it would log every request, payee accounts included.
        self.client = DefaultAlipayClient(config)

    @classmethod
    def from_settings(cls):
        private_key, public_key = settings.ALIPAY_APP_PRIVATE_KEY, settings.ALIPAY_PUBLIC_KEY
        if not (private_key and public_key):
            # Nothing configured: the local stand-in's keys (run_payment_gateway makes them).
            from payments.gateway.keys import standin_keys

            keys = standin_keys()
            private_key, public_key = keys["app_private"], keys["gateway_public"]
        return cls(
            app_id=settings.ALIPAY_APP_ID,
            gateway_url=settings.ALIPAY_GATEWAY_URL,
            app_private_key=private_key,
            alipay_public_key=public_key,
            timeout=settings.ALIPAY_TIMEOUT,
        )

    def _call(self, request, response):
        try:
            response.parse_response_content(self.client.execute(request))
        except Exception as exc:  # noqa: BLE001 — whatever broke, the outcome is unknown
            return f"{type(exc).__name__}: {exc}"[:300]
        return None

    def transfer(self, transfer: Transfer) -> Outcome:
        model = AlipayFundTransUniTransferModel()
        model.out_biz_no = transfer.out_biz_no
        model.trans_amount = str(transfer.amount)
        model.product_code = PRODUCT_CODE
        model.biz_scene = BIZ_SCENE
        model.order_title = transfer.title
        payee = Participant()
        payee.identity = transfer.payee
        payee.identity_type = "ALIPAY_LOGON_ID"
        model.payee_info = payee
        response = AlipayFundTransUniTransferResponse()
        failure = self._call(AlipayFundTransUniTransferRequest(biz_model=model), response)
        if failure:
            return Outcome(Result.UNKNOWN, reason=failure)
        if response.code == "10000" and response.status == "SUCCESS":
            return Outcome(
                Result.CONFIRMED, order_id=response.order_id or "", paid_at=_shanghai_time(response.trans_date)
            )
        return self._not_success(response)

    def _not_success(self, response):
        code, sub_code = response.code or "", response.sub_code or ""
        reason = response.sub_msg or response.msg or ""
        if code == "10000" or code.startswith("2") or sub_code in UNDECIDED_SUB_CODES or not code:
            return Outcome(Result.UNKNOWN, code=sub_code or code, reason=reason)
        return Outcome(Result.REFUSED, code=sub_code or code, reason=reason)

    def query(self, out_biz_no: str) -> Outcome:
        model = AlipayFundTransCommonQueryModel()
        model.out_biz_no = out_biz_no
        model.product_code = PRODUCT_CODE
        model.biz_scene = BIZ_SCENE
        response = AlipayFundTransCommonQueryResponse()
        failure = self._call(AlipayFundTransCommonQueryRequest(biz_model=model), response)
        if failure:
            return Outcome(Result.UNKNOWN, reason=failure)
        if response.code == "10000":
            if response.status == "SUCCESS":
                return Outcome(
                    Result.CONFIRMED, order_id=response.order_id or "", paid_at=_shanghai_time(response.pay_date)
                )
            if response.status in ("FAIL", "CLOSED"):
                return Outcome(
                    Result.REFUSED, code=response.error_code or response.status, reason=response.fail_reason or ""
                )
            return Outcome(Result.UNKNOWN, code=response.status or "", reason=response.msg or "")
        if response.sub_code in NOT_FOUND_SUB_CODES:
            return Outcome(Result.ABSENT, code=response.sub_code, reason=response.sub_msg or "")
        return Outcome(Result.UNKNOWN, code=response.sub_code or response.code or "", reason=response.sub_msg or "")

    def bill(self, day: dt.date) -> Bill:
        model = AlipayDataDataserviceBillDownloadurlQueryModel()
        model.bill_type = BILL_TYPE
        model.bill_date = day.isoformat()
        response = AlipayDataDataserviceBillDownloadurlQueryResponse()
        failure = self._call(AlipayDataDataserviceBillDownloadurlQueryRequest(biz_model=model), response)
        if failure:
            raise BillUnavailable(failure)
        if response.code != "10000" or not response.bill_download_url:
            raise BillUnavailable(f"{response.sub_code or response.code}: {response.sub_msg or response.msg}")
        try:
            # The download URL is a plain HTTP(S) link, fetched outside the SDK as Alipay documents.
            with urllib.request.urlopen(response.bill_download_url, timeout=self.timeout * 4) as answer:  # noqa: S310
                return read_bill(answer.read())
        except OSError as exc:
            raise BillUnavailable(f"download failed: {exc}") from exc
