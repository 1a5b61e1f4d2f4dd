from kernel.querysets import ScopedQuerySet


class SubOrderQuerySet(ScopedQuerySet):
    insurer_field = "insurer_id"


class PolicyQuerySet(ScopedQuerySet):
    def due_to_expire(self, now):
        return self.filter(status="in_cover", cover_ends_at__lte=now)


class InvoiceQuerySet(ScopedQuerySet):
    def due_late_flag(self, now):
        return self.filter(status="requested", late_flag_at__lte=now)
