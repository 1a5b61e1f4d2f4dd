from django.urls import path

from reports import portal as statements

from .views import auth, claims, feedback, money, people, shop

app_name = "portal"

urlpatterns = [
    path("login/", auth.LoginView.as_view(), name="login"),
    path("logout/", auth.LogoutView.as_view(), name="logout"),
    path("join/<str:uid>/<str:token>/", people.join, name="join"),
    path("password-reset/", people.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", people.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("password-reset/<uidb64>/<token>/", people.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("password-reset/done/", people.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("colleagues/", people.colleagues, name="colleagues"),
    path("", shop.home, name="home"),
    path("refunds/", claims.refund_list, name="refunds"),
    path("claims/", claims.claim_list, name="claims"),
    path("claims/<str:claim_id>/", claims.claim_detail, name="claim"),
    path("claims/<str:claim_id>/evidence/<int:pk>/", claims.evidence_file, name="evidence"),
    path("claims/<str:claim_id>/evidence-pack/", claims.evidence_pack, name="evidence_pack"),
    path("claims/<str:claim_id>/remind/", claims.remind_buyer, name="remind_buyer"),
    path("claims/<str:claim_id>/receipt/confirm/", claims.confirm_receipt, name="confirm_receipt"),
    path("claims/<str:claim_id>/receipt/reject/", claims.reject_receipt, name="reject_receipt"),
    path("claims/<str:claim_id>/receipt/reject/confirm/", claims.reject_receipt_confirm, name="reject_receipt_confirm"),
    path("claims/<str:claim_id>/report/", claims.report_claim_buyer, name="report_claim_buyer"),
    path("claims/<str:claim_id>/rate/", feedback.rate_claim, name="rate_claim"),
    path("policies/", money.policy_list, name="policies"),
    path("policies/<str:policy_no>/", money.policy_detail, name="policy"),
    path("policies/<str:policy_no>/report/", money.report_policy_buyer, name="report_policy_buyer"),
    path("ledger/", money.ledger, name="ledger"),
    path("statements/", statements.statement, name="statement"),
    path("statements/pdf/", statements.statement_pdf, name="statement_pdf"),
    path("invoices/", money.invoice_list, name="invoices"),
    path("invoices/new/", money.invoice_request, name="invoice_request"),
    path("invoices/<str:invoice_no>/", money.invoice_detail, name="invoice"),
    path("enrolment/", shop.enrolment_list, name="enrolment"),
    path("enrolment/<int:pk>/apply/", shop.apply, name="apply"),
    path("shop/", shop.shop_details, name="shop"),
    path("notices/", shop.notice_list, name="notices"),
    path("notices/read/", shop.notices_read, name="notices_read"),
]
