"""/api/v1/ (api.md); trailing slashes are optional."""

from django.urls import re_path

from reports import api as bordereaux

from .views import buyer_reports, claims, evidence, feedback, orders, packs, plans, policies, refund_requests

app_name = "api"

ID = r"(?P<{}>[^/]+)"
CLAIM = "claims/" + ID.format("claim_id")


def route(pattern, view, name):
    return re_path(rf"^{pattern}/?$", view.as_view(), name=name)


urlpatterns = [
    route("orders", orders.OrdersView, "orders"),
    route("order-events", orders.OrderEventsView, "order-events"),
    route("policies", policies.PolicyListView, "policies"),
    route("policies/" + ID.format("policy_no"), policies.PolicyDetailView, "policy"),
    route("refund-requests", refund_requests.RefundRequestsView, "refund-requests"),
    route("refund-requests/" + ID.format("refund_id"), refund_requests.RefundRequestDetailView, "refund-request"),
    route("claims", claims.ClaimListView, "claims"),
    route(CLAIM, claims.ClaimDetailView, "claim"),
    route(CLAIM + "/evidence", evidence.EvidenceView, "evidence"),
    route(CLAIM + r"/evidence/(?P<evidence_id>[0-9]{1,18})/file", evidence.EvidenceFileView, "evidence-file"),
    route(CLAIM + "/evidence-pack", packs.EvidencePackView, "evidence-pack"),
    route(CLAIM + "/return-shipment", claims.ReturnShipmentView, "return-shipment"),
    route(CLAIM + "/delivered", claims.DeliveredView, "delivered"),
    route(CLAIM + "/refund-completed", claims.RefundCompletedView, "refund-completed"),
    route(CLAIM + "/appeal", claims.AppealView, "appeal"),
    route(CLAIM + "/decision", claims.DecisionView, "decision"),
    route(CLAIM + "/decision/confirm", claims.ConfirmDecisionView, "decision-confirm"),
    route(CLAIM + "/decision/send-back", claims.SendBackDecisionView, "decision-send-back"),
    route(CLAIM + "/receipt", claims.ReceiptView, "receipt"),
    route(CLAIM + "/remind-buyer", claims.RemindBuyerView, "remind-buyer"),
    route(CLAIM + "/notes", feedback.NotesView, "notes"),
    route(CLAIM + "/satisfaction", feedback.SatisfactionView, "satisfaction"),
    route("plans/" + ID.format("plan_code") + "/problem-codes", plans.ProblemCodesView, "problem-codes"),
    route("buyer-reports", buyer_reports.BuyerReportsView, "buyer-reports"),
    *bordereaux.urlpatterns,
]
