"""The shop's pages: parse input with a form, call a service or selector, render."""

import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_http_methods, require_POST

from accounts.ratelimit import client_ip
from artists.models import Artist
from payments.models import PaymentPurpose
from payments.services import PaymentError, payment_start
from shop import selectors
from shop.forms import (
    NEW_ADDRESS,
    CheckoutForm,
    FeaturedPlacementForm,
    FulfilmentForm,
    ProductFilterForm,
    ProductForm,
    QuantityForm,
    ShippingRateForm,
)
from shop.models import OrderItem, OrderStatus, Product, ShippingRate
from shop.services import ShopError
from shop.services.cart import (
    CHECKOUT_KEY,
    cart_add,
    cart_chosen_prices,
    cart_clear_bought,
    cart_quantities,
    cart_remove,
    cart_set,
)
from shop.services.downloads import (
    delivered_by_catalogue,
    download_item_for_token,
    download_link_renew,
    download_use_record,
)
from shop.services.featured import featured_placement_build, featured_placement_pay
from shop.services.fulfilment import order_item_fulfil
from shop.services.orders import (
    PriceChanged,
    order_cancel,
    order_complete_free,
    order_place,
)
from shop.services.products import product_create, product_update
from shop.services.refunds import order_refund_undelivered
from shop.services.shipping import shipping_rate_delete, shipping_rate_set


def _own_artists(user):
    return Artist.objects.filter(user_id=user.pk).order_by("artist_name", "pk")


def _chosen_artist(request, artists):
    """The artist named by `?artist=` among the user's own, else their first."""
    wanted = request.GET.get("artist")
    return next((a for a in artists if str(a.pk) == wanted), artists[0])


# --- Browsing ---------------------------------------------------------------


@require_http_methods(["GET"])
def product_list(request):
    if request.GET:
        form = ProductFilterForm(request.GET)
        valid = form.is_valid()
        filters = form.cleaned_data if valid else {}
    else:
        # No filter to read: the form is shown only when the shared list is rendered
        # (making one copies its fields and widgets), so it is made then.
        form = SimpleLazyObject(ProductFilterForm)
        valid, filters = True, {}
    page = selectors.product_list(
        product_type=filters.get("product_type") or None,
        artist_id=filters.get("artist"),
        min_price=filters.get("min_price"),
        max_price=filters.get("max_price"),
        sort=filters.get("sort") or "newest",
        page_number=request.GET.get("page"),
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "shop/product_list.html",
        {"form": form, "page": page, "query": query.urlencode()},
        status=200 if valid else 400,
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
    return _product_form_page(request, artist=_chosen_artist(request, artists), product=None)


@login_required
@require_http_methods(["GET", "POST"])
def product_edit_view(request, product_id):
    product = get_object_or_404(Product, pk=product_id, artist__user_id=request.user.pk)
    return _product_form_page(request, artist=product.artist, product=product)


PRODUCT_FIELDS = (
    "name",
    "description",
    "product_type",
    "delivery",
    "price",
    "stock_quantity",
    "is_active",
)
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


def _cart_response(request):
    cart = selectors.cart_view(
        quantities=cart_quantities(session=request.session),
        chosen_prices=cart_chosen_prices(session=request.session),
    )
    template = "shop/_cart.html" if request.htmx else "shop/cart.html"
    return render(request, template, {"cart": cart})


@require_http_methods(["GET"])
def cart_detail(request):
    return _cart_response(request)


@require_POST
def cart_add_view(request, product_id):
    product = get_object_or_404(Product, pk=product_id)
    form = QuantityForm(request.POST)
    error = ""
    try:
        if not form.is_valid():
            raise ShopError("Enter a whole number of items.")
        cart_add(session=request.session, product=product, quantity=form.cleaned_data["quantity"])
    except ShopError as refused:
        error = str(refused)
    if request.htmx:
        # The fan stays on the product page: the line under the button and the header's
        # cart count change in place (200 even when refused: htmx swaps no 4xx answer).
        in_cart = cart_quantities(session=request.session).get(str(product.pk), 0)
        return render(request, "shop/_cart_added.html", {"in_cart": in_cart, "error": error})
    if error:
        messages.error(request, error)
        return redirect(product)
    messages.success(request, f"“{product.name}” is in your cart.")
    return redirect("shop:cart")


@require_POST
def cart_update_view(request, product_id):
    product = get_object_or_404(Product, pk=product_id)
    form = QuantityForm(request.POST)
    try:
        if not form.is_valid():
            raise ShopError("Enter a whole number of items.")
        cart_set(session=request.session, product=product, quantity=form.cleaned_data["quantity"])
    except ShopError as error:
        messages.error(request, str(error))
    if request.htmx:
        # Answered 200 even when refused: htmx swaps no 4xx answer, so the message
        # ("Only 2 left") would never reach the page.
        return _cart_response(request)
    return redirect("shop:cart")


@require_POST
def cart_remove_view(request, product_id):
    cart_remove(session=request.session, product_id=product_id)
    if request.htmx:
        return _cart_response(request)
    return redirect("shop:cart")


# --- Checkout and orders ----------------------------------------------------


def _checkout_form(request, cart, data, *, key, saved) -> tuple[CheckoutForm, object]:
    """The checkout form, and the shipping quote for the address chosen so far (None
    while no country is chosen); the total the buyer confirms includes that shipping."""
    form = CheckoutForm(
        data,
        needs_shipping=cart.needs_shipping,
        saved_addresses=saved,
        initial={
            "contact_email": request.user.email,
            "checkout_key": key,
            "saved_address": str(saved[0].pk) if saved else NEW_ADDRESS,
        },
    )
    country = form.destination_country() if cart.needs_shipping else ""
    quote = None
    if country:
        quote = selectors.shipping_quote(
            products=[line.product for line in cart.lines], country=country
        )
    form.initial["expected_total"] = cart.total + (quote.amount if quote else 0)
    return form, quote


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
    saved = selectors.saved_addresses_of(user=request.user) if cart.needs_shipping else []
    data = request.POST.copy() if request.method == "POST" else None
    if data is not None and "refresh" in data:
        # "Update shipping" (no JavaScript needed): the region list and the shipping of
        # the chosen country, with the total to confirm; nothing is placed.
        form, quote = _checkout_form(request, cart, data, key=key, saved=saved)
        form.data = form.data.copy()
        form.data["expected_total"] = str(form.initial["expected_total"])
        return _checkout_page(request, cart, form, quote)
    form, quote = _checkout_form(request, cart, data, key=key, saved=saved)
    if data is None or not form.is_valid():
        return _checkout_page(request, cart, form, quote, status=200 if data is None else 400)
    try:
        order, placed = order_place(
            user=request.user,
            quantities={str(line.product.pk): line.quantity for line in cart.lines},
            contact_email=form.cleaned_data["contact_email"],
            contact_phone=form.cleaned_data["contact_phone"],
            shipping_address=form.address(),
            checkout_key=form.cleaned_data["checkout_key"],
            expected_total=form.cleaned_data["expected_total"],
            remember_address=form.remember_address(),
            chosen_prices=cart_chosen_prices(session=request.session),
        )
    except PriceChanged as error:
        data["expected_total"] = str(error.total)
        form, quote = _checkout_form(request, cart, data, key=key, saved=saved)
        form.is_valid()
        form.add_error(None, str(error))
    except ShopError as error:
        form.add_error(None, str(error))
    else:
        return _after_checkout(request, order=order, placed=placed)
    return _checkout_page(request, cart, form, quote, status=400)


def _checkout_page(request, cart, form, quote, *, status: int = 200):
    shipping = quote.amount if quote and not quote.unserved else None
    return render(
        request,
        "shop/checkout.html",
        {
            "cart": cart,
            "form": form,
            "quote": quote,
            "shipping": shipping,
            "total": cart.total + (shipping or 0),
        },
        status=status,
    )


def _after_checkout(request, *, order, placed: bool):
    """Pay the order just placed. The cart stays until the order is paid
    (`cart_clear_bought`), so a declined card loses nothing."""
    if placed:
        if order.status == OrderStatus.PAID:
            # Nothing to pay (free downloads): order_place completed it.
            cart_clear_bought(session=request.session, order=order)
            messages.success(request, FREE_ORDER_DONE)
            return redirect("shop:order", order.pk)
        return _pay(request, order)
    if order.status == OrderStatus.PENDING:
        messages.info(request, "This order is waiting for payment.")
    elif order.status == OrderStatus.CANCELLED:
        # Its hold ended before it was paid: this cart is a new checkout now.
        request.session.pop(CHECKOUT_KEY, None)
        messages.info(
            request,
            "Your earlier order of this cart was released when its reservation ended; "
            "confirm again to order it.",
        )
        return redirect("shop:checkout")
    else:
        cart_clear_bought(session=request.session, order=order)
        messages.info(request, "This checkout was already completed.")
    return redirect("shop:order", order.pk)


FREE_ORDER_DONE = "Your order is complete and ready to download; there was nothing to pay."


def _pay(request, order):
    if order.total_amount == 0:
        # Nothing to pay (free downloads): the order completes without a payment.
        try:
            order_complete_free(order=order, by=request.user)
        except ShopError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, FREE_ORDER_DONE)
        return redirect("shop:order", order.pk)
    try:
        _, redirect_url = payment_start(
            user=request.user,
            purpose=PaymentPurpose.ORDER,
            target_id=order.pk,
            site_url=request.build_absolute_uri("/"),
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
    cart_clear_bought(session=request.session, order=order)
    now = timezone.now()
    for item in order.items.all():
        item.link_live = bool(item.download_expires_at and item.download_expires_at > now)
    return render(
        request,
        "shop/order_detail.html",
        {
            "order": order,
            "cancellation": selectors.order_cancellation(order=order),
            "support_email": settings.SUPPORT_EMAIL,
        },
    )


@login_required
@require_POST
def order_cancel_view(request, order_id):
    """Cancel a pending order, or what of a paid one was not delivered, with its refund."""
    order = selectors.order_of_buyer(user=request.user, order_id=order_id)
    if order is None:
        raise Http404
    try:
        if order.status == OrderStatus.PENDING:
            order_cancel(order=order, by=request.user)
            refund = None
        else:
            refund = order_refund_undelivered(
                order=order, by=request.user, request_key=uuid.uuid4()
            )
    except ShopError as error:
        messages.error(request, str(error))
        return redirect("shop:order", order.pk)
    if refund is None or refund.order.status == OrderStatus.CANCELLED:
        messages.success(request, "Your order is cancelled.")
    else:
        names = [item.product.name for item in refund.items.select_related("product")]
        verb = "is" if len(names) == 1 else "are"
        messages.success(
            request,
            f"{', '.join(names)} {verb} cancelled and {refund.amount} refunded; "
            "the rest of your order stays yours.",
        )
    return redirect("shop:order", order.pk)


@login_required
@require_http_methods(["GET"])
def purchases(request):
    """Your purchases: every line the user paid for, each download a button away."""
    page = Paginator(selectors.purchases_of_buyer(user=request.user), 50).get_page(
        request.GET.get("page")
    )
    return render(request, "shop/purchases.html", {"page": page})


@login_required
@require_POST
def download_link_renew_view(request, order_id, item_id):
    """The Download button: the live link, or a fresh one, and straight to the file."""
    # Like the order page, another buyer's item is answered as a missing one.
    item = get_object_or_404(
        OrderItem, pk=item_id, order_id=order_id, order__user_id=request.user.pk
    )
    try:
        item = download_link_renew(item=item, user=request.user)
    except ShopError as error:
        messages.error(request, str(error))
        return redirect("purchases")
    return redirect(item.download_url)


@login_required
@require_http_methods(["GET"])
def download(request, token):
    try:
        item = download_item_for_token(token=token, user=request.user)
        if delivered_by_catalogue(item.product):
            # The release's format page records the use when it serves the zip.
            return redirect("catalogue:purchase_download", token=token)
        download_use_record(item=item, user=request.user, ip_address=client_ip(request))
    except ShopError as error:
        return render(request, "shop/download_refused.html", {"reason": str(error)}, status=403)
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
def fulfilment_item(request, item_id):
    """The artist ships (carrier, tracking number) or delivers one of their items."""
    form = FulfilmentForm(request.POST)
    try:
        if not form.is_valid():
            raise ShopError("Choose shipped or delivered.")
        order_item_fulfil(item_id=item_id, user=request.user, **form.cleaned_data)
    except OrderItem.DoesNotExist:
        raise Http404 from None
    except ShopError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Item updated; the buyer sees it on their order.")
    return redirect("shop:fulfilment")


# --- Shipping rates ----------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def shipping_rates(request):
    artists = list(_own_artists(request.user))
    if not artists:
        messages.info(request, "Create your artist profile before selling.")
        return redirect("artists:become")
    artist = _chosen_artist(request, artists)
    form = ShippingRateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        shipping_rate_set(artist=artist, **form.cleaned_data)
        messages.success(request, "Shipping rate saved.")
        return redirect(f"{request.path}?artist={artist.pk}")
    return render(
        request,
        "shop/shipping_rates.html",
        {
            "form": form,
            "artist": artist,
            "artists": artists,
            "rates": selectors.shipping_rates_of(artist_id=artist.pk),
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def shipping_rate_delete_view(request, rate_id):
    try:
        artist_id = shipping_rate_delete(rate_id=rate_id, user=request.user)
    except ShippingRate.DoesNotExist:
        raise Http404 from None
    messages.success(request, "Shipping rate removed.")
    return redirect(f"{reverse('shop:shipping_rates')}?artist={artist_id}")


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
            _, redirect_url = featured_placement_pay(
                user=request.user, featured_item=item, site_url=request.build_absolute_uri("/")
            )
        except (ShopError, PaymentError) as error:
            form.add_error(None, str(error))
        else:
            return redirect(redirect_url)
    return render(
        request, "shop/featured_form.html", {"form": form}, status=400 if form.errors else 200
    )
