"""`{% fragment "name" value … %}…{% endfragment %}`: HTML shared between viewers.

    {% load fragments %}
    {% fragment "comment" node.vary can_moderate thread_url %}
      … {% csrf_token %} … <input type="hidden" name="next" value="{{ current_path }}"> …
    {% endfragment %}

The values after the name are everything the enclosed HTML depends on that is not the
same for every viewer and every minute (see musicplatform/fragments.py). Inside,
`csrf_token` and `current_path` are placeholders filled in per request; anything else
read from `request` or `user` would be cached for the next viewer, so pass what is
needed as a value instead.
"""

from django import template

from musicplatform.fragments import (
    CSRF_PLACEHOLDER,
    PATH_PLACEHOLDER,
    read_fragments,
    render_fragment,
)

register = template.Library()


class FragmentNode(template.Node):
    def __init__(self, nodelist, name, vary_on):
        self.nodelist = nodelist
        self.name = name
        self.vary_on = vary_on

    def render(self, context) -> str:
        request = context.get("request")
        if request is None:  # rendered outside a request (an email): nothing to share
            return self.nodelist.render(context)

        def render_with_placeholders() -> str:
            with context.push(csrf_token=CSRF_PLACEHOLDER, current_path=PATH_PLACEHOLDER):
                return self.nodelist.render(context)

        return render_fragment(
            request=request,
            name=self.name.resolve(context),
            vary_on=tuple(value.resolve(context) for value in self.vary_on),
            render=render_with_placeholders,
        )


@register.tag
def fragment(parser, token):
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError("{% fragment %} needs a name.")
    nodelist = parser.parse(("endfragment",))
    parser.delete_first_token()
    return FragmentNode(
        nodelist,
        parser.compile_filter(bits[1]),
        [parser.compile_filter(bit) for bit in bits[2:]],
    )


@register.simple_tag(takes_context=True)
def read_ahead(context, name, values) -> str:
    """`{% read_ahead "post-card" page.card_varies %}` before a loop of `{% fragment
    "post-card" value %}`, one of `values` each: their HTML read in one round trip
    (musicplatform.fragments)."""
    if (request := context.get("request")) is not None:
        read_fragments(request, [(name, (value,)) for value in values])
    return ""
