from rest_framework.routers import SimpleRouter


class Router(SimpleRouter):
    """Object ids in URLs are integers unless a viewset says otherwise, so `/payments/x/abc/` is a
    404 rather than a query with a bad id."""

    def get_lookup_regex(self, viewset, lookup_prefix=""):
        if not hasattr(viewset, "lookup_value_regex"):
            viewset.lookup_value_regex = r"\d+"
        return super().get_lookup_regex(viewset, lookup_prefix)
