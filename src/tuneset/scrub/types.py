"""Entity type names of the scrub stage (light: no detector imports, so config validation can use it).

The names are what reports count (``pii_by_type``), what ``pii.entities`` / ``pii.drop_types``
list, and what redact placeholders say (``<EMAIL_1>``).
"""

from __future__ import annotations

PERSON = "PERSON"
LOCATION = "LOCATION"
ADDRESS = "ADDRESS"
EMAIL = "EMAIL"
PHONE = "PHONE"
CREDIT_CARD = "CREDIT_CARD"
IBAN = "IBAN"
US_SSN = "US_SSN"
IP_ADDRESS = "IP_ADDRESS"
URL_CREDENTIALS = "URL_CREDENTIALS"
API_KEY = "API_KEY"
AWS_KEY = "AWS_KEY"
GITHUB_TOKEN = "GITHUB_TOKEN"
GITLAB_TOKEN = "GITLAB_TOKEN"
SLACK_TOKEN = "SLACK_TOKEN"
JWT = "JWT"
PRIVATE_KEY = "PRIVATE_KEY"
PASSWORD = "PASSWORD"
SECRET = "SECRET"

#: Values with a checkable shape (validators, checksums): re-detected by the leak scan.
STRUCTURED_TYPES = (EMAIL, PHONE, CREDIT_CARD, IBAN, US_SSN, IP_ADDRESS)
#: Credentials: detected with detect-secrets plugins and context rules; dropped by default.
SECRET_TYPES = (URL_CREDENTIALS, API_KEY, AWS_KEY, GITHUB_TOKEN, GITLAB_TOKEN, SLACK_TOKEN, JWT, PRIVATE_KEY,
                PASSWORD, SECRET)
#: Names and places: NER plus context rules.
NAME_TYPES = (PERSON, LOCATION, ADDRESS)

ENTITY_TYPES = (*NAME_TYPES, *STRUCTURED_TYPES, *SECRET_TYPES)

#: When spans overlap, the type earlier here wins (a secret inside a URL beats the URL's e-mail look).
PRIORITY = {t: i for i, t in enumerate((*SECRET_TYPES, EMAIL, IBAN, CREDIT_CARD, US_SSN, IP_ADDRESS, PHONE,
                                         ADDRESS, PERSON, LOCATION))}
