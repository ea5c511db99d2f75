"""Every write of the communities app, by sub-domain: the community itself
(`listing`), its forums (`forums`), joining and paying (`subscriptions`), renewals and
endings (`renewals`), moving between an artist's tiers and free tiers (`tiers`) and live
events (`live`); `common` holds what they share.

Money goes through the payment service (docs/payments.md): a subscription is paid with
`payment_start` (communities.purposes checks and prices it), renewed with
`payment_renewal_insert` (written with the period's row) + `payment_charge_saved` (always at the price its member accepted; the payment locked with the subscription, `payment_saved_charge_lock`), and activated or extended by `subscription_paid`
(communities.purposes) when its payment completes.
"""


class CommunityError(Exception):
    """A request we refuse; the message is meant for the person who made it."""
