"""The shop's pages: parse input with a form, call a service or selector, render."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from shop import selectors
from shop.forms import (
    CheckoutForm,
    FeaturedPlacementForm,
    ProductFilterForm,
    ProductForm,
    QuantityForm,
)
from shop.models import OrderItem, OrderStatus, Product
from shop.payments.services import PaymentError, payment_start
from shop.services import ShopError
from shop.services.cart import (
    cart_add,
    cart_chosen_prices,
    cart_clear,
    cart_quantities,
    cart_remove,
    cart_set,
)
from shop.services.downloads import (
    delivered_by_catalogue,
    download_item_for_token,
    download_link_renew,
)
from shop.services.featured import featured_placement_build
from shop.services.orders import PriceChanged, order_cancel, order_fulfil, order_place
from shop.services.products import product_create, product_update

PAGE_SIZE = 24
CHECKOUT_KEY = "shop_checkout_key"


def _own_artists(user):
    from artists.models import Artist

    return Artist.objects.filter(user_id=user.pk).order_by("artist_name", "pk")


# --- Browsing ---------------------------------------------------------------


@require_http_methods(["GET"])
def product_list(request):
    form = ProductFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    products = selectors.product_list(
        product_type=filters.get("product_type") or None,
        artist_id=filters.get("artist"),
        min_price=filters.get("min_price"),
        max_price=filters.get("max_price"),
        sort=filters.get("sort") or "newest",
    )
    page = Paginator(products, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request,
        "shop/product_list.html",
        {"form": form, "page": page, "query": query.urlencode()},
        status=status,
    )


@require_http_methods(["GET"])
def product_detail(request, product_id):
    product = selectors.product_detail(product_id=product_id)
    if product is None:
        raise Http404
    in_cart = cart_quantities(session=request.session).get(str(product.pk), 0)
    return render(
        request,
        "shop/product_detail.html",
        {"product": product, "in_cart": in_cart, "form": QuantityForm(initial={"quantity": 1})},
    )


# --- Products of the signed-in artist ---------------------------------------


@login_required
@require_http_methods(["GET"])
def product_manage(request):
    return render(
        request,
        "shop/product_manage.html",
        {
            "page": Paginator(selectors.artist_products_manage(user=request.user), 20).get_page(
                request.GET.get("page")
            ),
            "artists": list(_own_artists(request.user)),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def product_create_view(request):
    artists = list(_own_artists(request.user))
    if not artists:
        messages.info(request, "Create your artist profile before selling.")
        return redirect("artists:become")
    artist = artists[0]
    if request.GET.get("artist"):
        artist = next((a for a in artists if str(a.pk) == request.GET["artist"]), artist)
    return _product_form_page(request, artist=artist, product=None)


@login_required
@require_http_methods(["GET", "POST"])
def product_edit_view(request, product_id):
    product = get_object_or_404(Product, pk=product_id, artist__user_id=request.user.pk)
    return _product_form_page(request, artist=product.artist, product=product)


PRODUCT_FIELDS = ("name", "description", "product_type", "price", "stock_quantity", "is_active")
# Uploads start empty on the edit form: new images are added, a new file replaces the
# old one, and nothing uploaded keeps what is stored.
PRODUCT_UPLOADS = ("images", "digital_file")


def _product_form_page(request, *, artist, product):
    """The one form that creates a product (product=None) or edits one."""
    initial = {field: getattr(product, field) for field in PRODUCT_FIELDS} if product else None
    form = ProductForm(
        request.POST or None,
        request.FILES or None,
        initial=initial,
        has_file=bool(product and product.digital_file),
    )
    if request.method == "POST" and form.is_valid():
        fields = {field: form.cleaned_data[field] for field in PRODUCT_FIELDS + PRODUCT_UPLOADS}
        try:
            if product is None:
                saved = product_create(artist=artist, **fields)
            else:
                saved = product_update(product=product, **fields)
        except ShopError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"“{saved.name}” is saved.")
            return redirect("shop:manage")
    return render(
        request,
        "shop/product_form.html",
        {"form": form, "product": product, "artist": artist},
        status=400 if form.errors else 200,
    )


# --- Cart --------------------------------------------------------------------


def _cart_response(request, *, status: int = 200):
    cart = selectors.cart_view(
        quantities=cart_quantities(session=request.session),
        chosen_prices=cart_chosen_prices(session=request.session),
    )
    template = "shop/_cart.html" if request.headers.get("HX-Request") else "shop/cart.html"
    return render(request, template, {"cart": cart}, status=status)


@require_http_methods(["GET"])
def cart_detail(request):
    return _cart_response(request)


@require_POST
def cart_add_view(request, product_id):
    product = get_object_or_404(Product, pk=product_id)
    form = QuantityForm(request.POST)
    try:
        if not form.is_valid():
            raise ShopError("Enter a whole number of items.")
        cart_add(session=request.session, product=product, quantity=form.cleaned_data["quantity"])
    except ShopError as error:
        messages.error(request, str(error))
        return redirect(product)
    messages.success(request, f"“{product.name}” is in your cart.")
    return redirect("shop:cart")


@require_POST
def cart_update_view(request, product_id):
    product = get_object_or_404(Product, pk=product_id)
    form = QuantityForm(request.POST)
    status = 200
    try:
        if not form.is_valid():
            raise ShopError("Enter a whole number of items.")
        cart_set(session=request.session, product=product, quantity=form.cleaned_data["quantity"])
    except ShopError as error:
        messages.error(request, str(error))
        status = 400
    if request.headers.get("HX-Request"):
        return _cart_response(request, status=status)
    return redirect("shop:cart")


@require_POST
def cart_remove_view(request, product_id):
    cart_remove(session=request.session, product_id=product_id)
    if request.headers.get("HX-Request"):
        return _cart_response(request)
    return redirect("shop:cart")


# --- Checkout and orders ----------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def checkout(request):
    cart = selectors.cart_view(
        quantities=cart_quantities(session=request.session),
        chosen_prices=cart_chosen_prices(session=request.session),
    )
    if not cart.lines:
        # A repeated "Complete checkout" after the first one emptied the cart.
        done = selectors.order_by_checkout_key(
            user=request.user, key=request.POST.get("checkout_key")
        )
        if done is not None:
            messages.info(request, "This checkout was already completed.")
            return redirect("shop:order", done.pk)
        messages.info(request, "Your cart is empty.")
        return redirect("shop:list")
    # One key per checkout, kept in the session and echoed by the form: every repeat of
    # "Complete checkout" carries it, and the order's unique key turns repeats into no-ops.
    key = request.session.setdefault(CHECKOUT_KEY, str(uuid.uuid4()))
    form = CheckoutForm(
        request.POST or None,
        needs_shipping=cart.needs_shipping,
        initial={
            "contact_email": request.user.email,
            "checkout_key": key,
            "expected_total": cart.total,
        },
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                order, placed = order_place(
                    user=request.user,
                    quantities={str(line.product.pk): line.quantity for line in cart.lines},
                    contact_email=form.cleaned_data["contact_email"],
                    contact_phone=form.cleaned_data["contact_phone"],
                    shipping_address=form.address(),
                    checkout_key=form.cleaned_data["checkout_key"],
                    expected_total=form.cleaned_data["expected_total"],
                    chosen_prices=cart_chosen_prices(session=request.session),
                )
            except PriceChanged as error:
                form = CheckoutForm(
                    {**request.POST.dict(), "expected_total": str(error.total)},
                    needs_shipping=cart.needs_shipping,
                )
                form.is_valid()
                form.add_error(None, str(error))
            except ShopError as error:
                form.add_error(None, str(error))
            else:
                return _after_checkout(request, order=order, placed=placed)
    return render(request, "shop/checkout.html", {"cart": cart, "form": form}, status=status)


def _after_checkout(request, *, order, placed: bool):
    if not placed:
        messages.info(request, "This checkout was already completed.")
        return redirect("shop:order", order.pk)
    cart_clear(session=request.session)
    request.session.pop(CHECKOUT_KEY, None)
    return _pay(request, order)


def _pay(request, order):
    try:
        _, redirect_url = payment_start(
            user=request.user, site_url=request.build_absolute_uri("/"), order=order
        )
    except PaymentError as error:
        messages.error(request, str(error))
        return redirect("shop:order", order.pk)
    return redirect(redirect_url)


@login_required
@require_POST
def order_pay(request, order_id):
    """Pay again for a pending order whose earlier attempt was abandoned."""
    order = selectors.order_of_buyer(user=request.user, order_id=order_id)
    if order is None:
        raise Http404
    return _pay(request, order)


@login_required
@require_http_methods(["GET"])
def order_list(request):
    page = Paginator(selectors.orders_of_buyer(user=request.user), 20).get_page(
        request.GET.get("page")
    )
    return render(request, "shop/order_list.html", {"page": page})


@login_required
@require_http_methods(["GET"])
def order_detail(request, order_id):
    order = selectors.order_of_buyer(user=request.user, order_id=order_id)
    if order is None:
        raise Http404
    now = timezone.now()
    for item in order.items.all():
        item.link_live = bool(item.download_expires_at and item.download_expires_at > now)
    return render(
        request,
        "shop/order_detail.html",
        {"order": order, "cancellable": order.status in {OrderStatus.PENDING, OrderStatus.PAID}},
    )


@login_required
@require_POST
def order_cancel_view(request, order_id):
    order = selectors.order_of_buyer(user=request.user, order_id=order_id)
    if order is None:
        raise Http404
    try:
        order = order_cancel(order=order, by=request.user)
    except ShopError as error:
        messages.error(request, str(error))
    else:
        if order.status == OrderStatus.CANCELLED:
            messages.success(request, "Your order is cancelled.")
        else:
            messages.info(
                request, "Your refund is on its way; the order is cancelled once it is done."
            )
    return redirect("shop:order", order.pk)


@login_required
@require_POST
def download_link_renew_view(request, order_id, item_id):
    # Like the order page, another buyer's item is answered as a missing one.
    item = get_object_or_404(
        OrderItem, pk=item_id, order_id=order_id, order__user_id=request.user.pk
    )
    try:
        download_link_renew(item=item, user=request.user)
    except ShopError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Your download link is ready.")
    return redirect("shop:order", order_id)


@login_required
@require_http_methods(["GET"])
def download(request, token):
    try:
        item = download_item_for_token(token=token, user=request.user)
    except ShopError as error:
        return render(request, "shop/download_refused.html", {"reason": str(error)}, status=403)
    if delivered_by_catalogue(item.product):
        return redirect("catalogue:purchase_download", token=token)
    stored = item.product.digital_file
    filename = stored.name.rsplit("/", 1)[-1]
    return FileResponse(stored.open("rb"), as_attachment=True, filename=filename)


# --- Fulfilment ------------------------------------------------------------


@login_required
@require_http_methods(["GET"])
def fulfilment(request):
    page = Paginator(selectors.fulfilment_orders(user=request.user), 20).get_page(
        request.GET.get("page")
    )
    return render(request, "shop/fulfilment.html", {"page": page})


@login_required
@require_POST
def fulfilment_mark(request, order_id):
    from shop.models import Order

    order = get_object_or_404(Order, pk=order_id)
    try:
        order_fulfil(order=order, user=request.user, status=request.POST.get("status", ""))
    except ShopError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Order updated.")
    return redirect("shop:fulfilment")


# --- Featured placements --------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def featured_new(request):
    artists = list(_own_artists(request.user))
    if not artists:
        messages.info(request, "Create your artist profile first.")
        return redirect("artists:become")
    products = selectors.artist_products_manage(user=request.user).filter(is_active=True)
    form = FeaturedPlacementForm(request.POST or None, artists=artists, products=products)
    if request.method == "POST" and form.is_valid():
        try:
            item = featured_placement_build(user=request.user, **form.placement())
            _, redirect_url = payment_start(
                user=request.user, site_url=request.build_absolute_uri("/"), featured_item=item
            )
        except (ShopError, PaymentError) as error:
            form.add_error(None, str(error))
        else:
            return redirect(redirect_url)
    return render(
        request, "shop/featured_form.html", {"form": form}, status=400 if form.errors else 200
    )
