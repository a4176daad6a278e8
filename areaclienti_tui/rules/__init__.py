"""Pure validation rules of the registration journey (no UI, no storage)."""

from .codice_fiscale import (
    CodiceFiscaleInfo,
    base_codice_fiscale,
    canonical_codice_fiscale,
    validate_codice_fiscale,
)
from .errors import RuleError
from .masking import mask_contact, mask_email, mask_mobile
from .password import (
    Check,
    Strength,
    checklist,
    ensure_bcrypt_safe,
    strength,
    validate_password,
)
from .personal import age_on, parse_birth_date, parse_sex
from .text import clean_person_name, normalize_name
from .username import (
    ContactKind,
    Username,
    is_pec_domain,
    load_pec_domains,
    normalize_contact,
    parse_email,
    parse_mobile,
    parse_username,
)

__all__ = [
    "Check",
    "CodiceFiscaleInfo",
    "ContactKind",
    "RuleError",
    "Strength",
    "Username",
    "age_on",
    "base_codice_fiscale",
    "canonical_codice_fiscale",
    "checklist",
    "clean_person_name",
    "ensure_bcrypt_safe",
    "is_pec_domain",
    "load_pec_domains",
    "mask_contact",
    "mask_email",
    "mask_mobile",
    "normalize_contact",
    "normalize_name",
    "parse_birth_date",
    "parse_email",
    "parse_mobile",
    "parse_sex",
    "parse_username",
    "strength",
    "validate_codice_fiscale",
    "validate_password",
]
