"""Whether two email addresses reach the same mailbox: the one rule for "this
is the same person" wherever the programme needs two different people (an
applicant and their chair of governors, an applicant and their sponsor).

    email_identity("Jo.Bloggs+ref@Example.org")  -> "jo.bloggs@example.org"
    same_mailbox("jo+chair@school.org", "JO@school.org")  -> True

What is folded, and why:
- case, everywhere: mail servers treat the domain without case and, in
  practice, the local part too;
- a `+tag` in the local part, for every domain: Gmail, Outlook/Microsoft 365,
  iCloud, Fastmail and most hosted mail deliver name+anything@ to name@, so
  an applicant could otherwise name themselves at `name+ref@`. Two different
  people whose addresses differ only by a +tag would be refused too, which is
  rare and only asks the applicant to give another address;
- dots in the local part, for gmail.com and googlemail.com only (Google
  documents that they are ignored, and the two domains are one mailbox);
  elsewhere a dot is significant (jo.smith@ and josmith@ can be two people).
  Other providers' sub-addressing with "-" is not folded: hyphens are common
  in real names.

It is a comparison key, never an address to write to: the address as given
is what is stored and emailed.
"""

from __future__ import annotations

GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})


def email_identity(email: str | None) -> str:
    """The comparison key of an address ("" for nothing)."""
    email = (email or "").strip().lower()
    local, at, domain = email.rpartition("@")
    if not at:
        return email
    local = local.split("+", 1)[0]
    if domain in GMAIL_DOMAINS:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


def same_mailbox(first: str | None, second: str | None) -> bool:
    """Whether the two addresses are the same person's; False when either is empty."""
    a, b = email_identity(first), email_identity(second)
    return bool(a) and a == b
