"""Paid communities: memberships and their renewals (`CommunitySubscription.objects.members()`
is who is a member), forums, live events and the member counts."""
