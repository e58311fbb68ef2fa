"""The OAuth scopes (spec oauth-accounts-api §3): what each lets an application do, in the
words the consent page shows. Each Accounts endpoint needs exactly one; a write scope does
not imply its read scope (§7.7), so the wording says what a write lets it see."""
PROFILE_READ, PROFILE_WRITE = "profile_read", "profile_write"
EMAIL_READ, EMAIL_WRITE = "email_read", "email_write"

CONSENT_LINES = {
    PROFILE_READ: "See your profile info, primary email, and Gravatar email.",
    PROFILE_WRITE: "Change your profile info (name, location, company, website, Gravatar "
                   "email), and see it as changed.",
    EMAIL_READ: "See your email addresses.",
    EMAIL_WRITE: "Add and remove your email addresses, and see the ones it adds.",
}
ALL = tuple(CONSENT_LINES)
DEFAULT = (PROFILE_READ, EMAIL_READ)


class UnknownScope(ValueError):
    pass


def parse(text: str | None) -> tuple[str, ...]:
    """Space-separated names → the scopes in canonical order; empty or absent → the default
    (§7.6); an unknown name raises UnknownScope."""
    names = set((text or "").split(" ")) - {""}
    if not names:
        return DEFAULT
    unknown = names - set(ALL)
    if unknown:
        raise UnknownScope(" ".join(sorted(unknown)))
    return tuple(scope for scope in ALL if scope in names)


def text(scopes) -> str:
    return " ".join(scope for scope in ALL if scope in set(scopes))
