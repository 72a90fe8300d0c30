from rest_framework.pagination import CursorPagination, PageNumberPagination


class DefaultPagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "limit"
    max_page_size = 200


class NewestFirstCursorPagination(CursorPagination):
    """Keyset pagination: page 1,000 costs the same index seek as page 1."""

    page_size = 20
    page_size_query_param = "limit"
    max_page_size = 200
    ordering = "-id"
