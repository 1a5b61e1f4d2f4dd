"""The claim staff screens: the lists (lists), the review page (review) and its buttons
(actions), the review desk and the service-staff queues (queues), reviewers and the at-risk board
(assignment). Importing the package registers them on the admin site."""

from . import assignment, authority, lists, queues  # noqa: F401
