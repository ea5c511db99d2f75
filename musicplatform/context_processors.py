from django.http import HttpRequest


def current_path(request: HttpRequest) -> dict:
    """The page's own address, for the `next` of its forms.

    Templates read `current_path` rather than `request.get_full_path`, so that inside a
    shared fragment it can be a placeholder (musicplatform/fragments.py).
    """
    return {"current_path": request.get_full_path}
