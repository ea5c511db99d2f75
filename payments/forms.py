from decimal import Decimal

from django import forms

from payments.gateways.test import TEST_CARDS


class TestCardForm(forms.Form):
    __test__ = False  # not a pytest test class

    card_number = forms.CharField(
        label="Card number",
        max_length=23,
        help_text="4242 4242 4242 4242 pays; 4000 0000 0000 0002 is declined; "
        "4000 0000 0000 9995 fails for insufficient funds; 4000 0000 0000 0069 has expired; "
        "4000 0025 0000 3155 pays here but its renewals ask you to confirm them (3-D Secure).",
    )

    def clean_card_number(self) -> str:
        number = "".join(self.cleaned_data["card_number"].split())
        if number not in TEST_CARDS:
            raise forms.ValidationError("Use one of the test card numbers below.")
        return number


class TestCardSaveForm(TestCardForm):
    """The test gateway's form of the billing page: a card to keep for renewals."""

    replaces = forms.UUIDField(required=False, widget=forms.HiddenInput)


class RefundForm(forms.Form):
    amount = forms.DecimalField(
        label="Amount to refund",
        max_digits=10,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
        help_text="Leave empty to refund everything still refundable.",
    )
