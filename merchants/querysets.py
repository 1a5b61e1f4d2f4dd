from kernel.querysets import ScopedQuerySet


class ShopQuerySet(ScopedQuerySet):
    shop_field = "pk"

    def for_insurer(self, insurer_id):
        return self.filter(enrolments__insurer_id=insurer_id).distinct()


class EnrolmentQuerySet(ScopedQuerySet):
    pass
