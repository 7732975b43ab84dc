"""How the page names its choices: selector keys, options and labels.

A panel holds one choice per combination of its selectors' values, keyed
by those values joined with `KEY_SEPARATOR` (the page script joins the
selectors' values the same way).
"""

KEY_SEPARATOR = "|"


def key(values):
    """The choice key of selector values, in the panel's selector order."""
    return KEY_SEPARATOR.join(values)


def unique(values):
    """`values` without repeats, in first-seen order."""
    return list(dict.fromkeys(values))


def init_label(config):
    """An init name as a reader sees it (constant shows its value).

    Args:
        config: a run config, or a dict with "init" and "init_value".
    """
    init = config["init"] if isinstance(config, dict) else config.init
    value = (
        config.get("init_value")
        if isinstance(config, dict)
        else getattr(config, "init_value", None)
    )
    if init == "constant" and value is not None:
        return f"constant ({value:g})"
    return init
