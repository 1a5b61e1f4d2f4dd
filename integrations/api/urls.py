"""/api/v1/ (api.md); trailing slashes are optional."""

from django.urls import re_path

from . import feedback, views

app_name = "api"

ID = r"(?P<{}>[^/]+)"
CLAIM = "claims/" + ID.format("claim_id")


def route(pattern, view, name):
    return re_path(rf"^{pattern}/?$", view.as_view(), name=name)


urlpatterns = [
    route("orders", views.OrdersView, "orders"),
    route("order-events", views.OrderEventsView, "order-events"),
    route("policies", views.PolicyListView, "policies"),
    route("policies/" + ID.format("policy_no"), views.PolicyDetailView, "policy"),
    route("refund-requests", views.RefundRequestsView, "refund-requests"),
    route("refund-requests/" + ID.format("refund_id"), views.RefundRequestDetailView, "refund-request"),
    route("claims", views.ClaimListView, "claims"),
    route(CLAIM, views.ClaimDetailView, "claim"),
    route(CLAIM + "/evidence", views.EvidenceView, "evidence"),
    route(CLAIM + r"/evidence/(?P<evidence_id>[0-9]{1,18})/file", views.EvidenceFileView, "evidence-file"),
    route(CLAIM + "/return-shipment", views.ReturnShipmentView, "return-shipment"),
    route(CLAIM + "/delivered", views.DeliveredView, "delivered"),
    route(CLAIM + "/refund-completed", views.RefundCompletedView, "refund-completed"),
    route(CLAIM + "/appeal", views.AppealView, "appeal"),
    route(CLAIM + "/decision", views.DecisionView, "decision"),
    route(CLAIM + "/receipt", views.ReceiptView, "receipt"),
    route(CLAIM + "/remind-buyer", views.RemindBuyerView, "remind-buyer"),
    route(CLAIM + "/notes", feedback.NotesView, "notes"),
    route(CLAIM + "/satisfaction", feedback.SatisfactionView, "satisfaction"),
    route("buyer-reports", views.BuyerReportsView, "buyer-reports"),
]
