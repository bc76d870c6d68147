"""The bundled sample: a fictional company's support data, with problems planted on purpose.

Northwind Cloud Storage does not exist. Every product, plan, person, e-mail address, phone number,
card number, street address, API key and token below is invented (e-mails use the reserved
``example.*`` domains, US phone numbers the 555-01xx fiction range, UK ones Ofcom's drama range,
card numbers the 4111... test number or random Luhn-valid digits, AWS keys include AWS's own
documentation example).

``generate`` writes five raw files (2,000 units) and a small fictional benchmark that some units
are copied from. The text comes from templates filled by ``random.Random(seed)`` alone, so a seed
gives byte-identical files on any machine. Problems (malformed lines, bad role order, empty
answers, exact and near duplicates, PII, secrets, over-long answers, benchmark contamination, a
non-UTF-8 byte, mojibake, chat special tokens, refusals) are planted at seeded positions, at most
one per unit, and ``generate`` returns how many of each it planted (``planted_*`` keys), counted
from the units it wrote. Apart from the planted copies, no two units share a first user message
and no two units of one intent reach a word 5-gram Jaccard similarity of ``MAX_CLEAN_JACCARD``,
so the planted duplicates and paraphrases are the only ones (tests/test_sample.py checks this
over the whole sample by re-reading the files).
"""

from __future__ import annotations

import argparse
import copy
import csv
import datetime as dt
import gzip
import io
import json
import random
import re
import string
import unicodedata
from collections import Counter
from collections.abc import Sequence
from itertools import chain
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_SEED = 20261122
DEFAULT_RAW_DIR = Path("data/raw/sample")
DEFAULT_BENCH_DIR = Path("data/benchmarks/sample")

CHAT = "chat.jsonl"
SHAREGPT = "sharegpt.json"
ALPACA = "alpaca.json"
TICKETS = "tickets.csv"
PREFERENCES = "preferences.jsonl.gz"
RAW_FILES = (CHAT, SHAREGPT, ALPACA, TICKETS, PREFERENCES)
BENCH_FILE = "support_bench.jsonl"
BENCH_README = "README.md"

TICKET_COLUMNS = ["ticket_id", "created_at", "channel", "category", "customer_message", "agent_reply", "csat"]

MAX_CLEAN_JACCARD = 0.5  # clean units stay below this word 5-gram Jaccard with each other
MIN_NEAR_JACCARD = 0.85  # a planted near duplicate reaches at least this with its source
NEAR_SOURCE_MIN_WORDS = 70  # sources of near duplicates are at least this long
OVERLONG_CHARS = 40_000  # planted over-long answers are longer than this

# Units per file, and the problems planted in each: (problem, count, options).
# "exact_duplicate" / "near_duplicate" copy or paraphrase a clean unit of ``src``;
# "followup" (not a problem) continues an earlier ticket of the same file; "tools" (not a
# problem) is a tool-calling conversation.
PLAN: dict[str, tuple[int, list[tuple[str, int, dict[str, Any]]]]] = {
    CHAT: (750, [
        ("malformed_json", 8, {}),
        ("not_a_record", 1, {}),
        ("non_utf8", 1, {}),
        ("role_order", 6, {}),
        ("empty_answer", 4, {}),
        ("missing_final_assistant", 3, {}),
        ("pii", 45, {}),
        ("secret", 6, {}),
        ("overlong", 3, {}),
        ("contamination", 5, {}),
        ("mojibake", 2, {}),
        ("special_tokens", 2, {}),
        ("refusal", 3, {}),
        ("tools", 10, {}),
        ("followup", 20, {}),
        ("exact_duplicate", 7, {"src": CHAT, "whole_line": True}),
        ("exact_duplicate", 7, {"src": CHAT}),
        ("exact_duplicate", 5, {"src": ALPACA}),
        ("exact_duplicate", 2, {"src": SHAREGPT}),
        ("near_duplicate", 14, {"src": CHAT}),
        ("near_duplicate", 2, {"src": TICKETS}),
        ("near_duplicate", 2, {"src": ALPACA}),
    ]),
    SHAREGPT: (350, [
        ("role_order", 4, {}),
        ("empty_answer", 2, {}),
        ("missing_final_assistant", 2, {}),
        ("pii", 25, {}),
        ("secret", 3, {}),
        ("overlong", 2, {}),
        ("contamination", 3, {}),
        ("special_tokens", 1, {}),
        ("refusal", 2, {}),
        ("exact_duplicate", 5, {"src": SHAREGPT}),
        ("exact_duplicate", 3, {"src": CHAT}),
        ("near_duplicate", 6, {"src": SHAREGPT}),
        ("near_duplicate", 2, {"src": CHAT}),
    ]),
    ALPACA: (300, [
        ("empty_answer", 2, {}),
        ("pii", 15, {}),
        ("secret", 2, {}),
        ("overlong", 1, {}),
        ("contamination", 2, {}),
        ("exact_duplicate", 3, {"src": ALPACA}),
        ("near_duplicate", 4, {"src": ALPACA}),
    ]),
    TICKETS: (400, [
        ("malformed_csv", 1, {}),
        ("empty_answer", 2, {}),
        ("pii", 50, {}),
        ("secret", 4, {}),
        ("mojibake", 1, {}),
        ("followup", 25, {}),
        ("exact_duplicate", 3, {"src": TICKETS, "whole_line": True}),
        ("exact_duplicate", 2, {"src": TICKETS}),
        ("near_duplicate", 6, {"src": TICKETS}),
    ]),
    PREFERENCES: (200, [
        ("pii", 15, {}),
        ("exact_duplicate", 3, {"src": PREFERENCES}),
        ("near_duplicate", 4, {"src": PREFERENCES}),
    ]),
}
BENCH_ITEMS = 60
PROBLEMS = (
    "malformed_json", "not_a_record", "malformed_csv", "non_utf8", "role_order", "empty_answer",
    "missing_final_assistant", "exact_duplicate", "near_duplicate", "pii", "secret", "overlong",
    "contamination", "mojibake", "special_tokens", "refusal",
)
PII_TYPES = ("name", "email", "phone", "card", "address")

# --------------------------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------------------------

CO = "Northwind"
PAID_PLANS = [  # name, storage, monthly price, yearly price
    ("Plus", "500 GB", 4.99, 49.99),
    ("Pro", "2 TB", 9.99, 99.99),
    ("Family", "6 TB", 14.99, 149.99),
    ("Teams", "1 TB per seat", 8.00, 84.00),
]
APPS = ["Northwind Drive for desktop", "the Northwind Photos app", "the Northwind web app",
        "Northwind Drive for mobile"]
OSES = ["Windows 11", "Windows 10", "macOS Sonoma", "macOS Sequoia", "Ubuntu 24.04", "ChromeOS", "iOS 18", "Android 15"]
DEVICES = ["Vault Mini", "Vault 2", "Vault 2 Pro", "Vault Home Hub"]
DEVICE_PRICES = {"Vault Mini": 129.00, "Vault 2": 189.00, "Vault 2 Pro": 249.00, "Vault Home Hub": 159.00}
# carrier: prefix of its tracking numbers
CARRIERS = {"ParcelPoint": "PP", "SwiftLane Courier": "SL", "BlueHarbor Freight": "BH", "Meridian Post": "MP"}
ERROR_CODES = ["NW-E1042", "NW-E2207", "SYNC-409", "SYNC-512", "NW-E3310", "UPL-0413", "NW-E0921"]
FILES = [
    "Q3_budget.xlsx", "thesis_final_v7.docx", "wedding_video.mp4", "taxes_2025.pdf", "client_contracts.zip",
    "garden_plan.png", "invoice_template.docx", "band_rehearsal.wav", "kitchen_remodel.pdf", "recipes.md",
    "payroll_march.csv", "portfolio_2026.pptx", "drone_footage.mov", "lesson_plans.docx", "research_notes.txt",
]
FOLDERS = [
    "Photos/2025", "Work/Projects", "Documents/Taxes", "Shared/Family", "Music/Demos", "Clients/Archive",
    "School", "Camera Uploads", "Design/Mockups", "Backups/Laptop",
]
BROWSERS = ["Firefox", "Chrome", "Safari", "Edge"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October"]
CHANNELS = ["email", "chat", "phone", "web_form"]
CATEGORIES = {
    "billing": "Billing", "refund": "Refunds", "login": "Account access", "sync": "Sync errors",
    "storage": "Storage", "shipping": "Shipping", "cancel": "Cancellations", "plan": "Plan changes",
    "sharing": "Sharing", "recovery": "File recovery",
}
INTENT_LABELS = {
    "billing": "billing", "refund": "refund", "login": "login", "sync": "sync error", "storage": "storage",
    "shipping": "shipping", "cancel": "cancellation", "plan": "plan change", "sharing": "sharing",
    "recovery": "file recovery",
}

FIRST_NAMES = [
    "Marisol", "Dario", "Keziah", "Tobias", "Anneliese", "Ravindra", "Odette", "Callum", "Ines", "Bartholomew",
    "Yuki", "Femi", "Zoë", "Matthias", "Priyanka", "Soren", "Lucinda", "Emeka", "Henrike", "Joaquín",
    "Talia", "Wendell", "Noor", "Cosima", "Idris", "Margit", "Lorcan", "Sunniva", "Thaddeus", "Amara",
]
LAST_NAMES = [
    "Quenneville", "Ashgrove", "Petrakis", "Lindqvist", "Okonkwo-Hale", "Marchetti", "Brennagh", "Vasquez-Rowe",
    "Tamsworth", "Delacroix-Bell", "Oyelaran", "Fairbairn", "Kowalczyk", "Nakamura-Stein", "Hollingbrook",
    "Adeyemi", "Castellano", "Whitlowe", "Brightmore", "Szabó", "Ferreira-Lund", "Ambrosetti", "Thistlewood",
]
AGENT_NAMES = ["Keziah Brennagh", "Lorcan Whitlowe", "Sunniva Petrakis", "Idris Fairbairn", "Margit Castellano",
               "Wendell Ashgrove", "Noor Thistlewood", "Cosima Lindqvist"]
EMAIL_DOMAINS = ["example.com", "example.net", "example.org", "mail.example.com"]
STREETS = ["Alder Crest", "Quillon", "Marrowby", "Fennick", "Larkspur Hollow", "Copperbeech", "Wrenfield", "Saltmarsh"]
STREET_KINDS = ["Lane", "Road", "Avenue", "Street", "Court", "Drive"]
US_CITIES = [("Brookhaven", "OR", "97477"), ("Eastmere", "OH", "43017"), ("Port Calloway", "ME", "04101"),
             ("Silverton Falls", "CO", "80911"), ("Linden Ridge", "TX", "78613")]
UK_CITIES = [("Kingsmere", "LS6 2QT"), ("Oldcastle", "BS8 4RJ"), ("Ravensworth", "M14 5TW")]

# --------------------------------------------------------------------------------------------
# Conversation templates: str.format templates over the slots of ``_Gen.slots``. Each intent has
# scenarios; a scenario's user lines, diagnoses and actions fit each other in any combination,
# so every conversation answers the question it asks.
# --------------------------------------------------------------------------------------------

USER_OPENERS = [
    "Hi.", "Hello.", "Hey there!", "Good morning.", "Hi support team.", f"Hello {CO} team!", "Quick question.",
    "Hoping you can help.", "Not sure who to ask about this.", "Good afternoon.", "Hi again.", "I need some help please.",
]
USER_CLOSERS = ["Thanks.", "Thank you!", "Thanks in advance.", "Appreciate it.", "Cheers.", "Thanks for your help."]
AGENT_GREETINGS = [
    f"Thanks for reaching out to {CO} Support.", "Hi there, thanks for getting in touch.",
    "Hello, and thank you for contacting us.", "Thanks for the message, and sorry for the hassle.",
    "Hi! Thanks for the detailed description.", "Thank you for writing in.",
    "Hello, thanks for your patience while I looked into this.", "Hi, I appreciate you flagging this.",
    "Good to hear from you.", "Thanks for getting in touch with us today.",
]
AGENT_EMPATHY = [
    "I understand how frustrating that is.", "I know this is not what you expected, so let's get it sorted.",
    "Sorry you ran into this.", "I can see why that was confusing.",
    "That definitely should not happen, and I'm glad you told us.", "I'm sorry for the inconvenience.",
]
AGENT_CLOSINGS = [
    "Let me know if anything else comes up.", "If you have any other questions, just reply to this message.",
    "Is there anything else I can help you with today?", "Happy to help further if you need it.",
    "Feel free to write back if the issue returns.", "Have a great rest of your day.",
    "Thanks again for your patience.", "We're here if you need anything else.",
    "Reply here any time and the same ticket will reopen.", "Wishing you a smooth rest of the week.",
]

SYSTEM_PROMPTS = [
    f"You are a friendly support agent for {CO} Cloud Storage. Answer clearly and never ask for full card numbers or passwords.",
    f"You are {CO}'s customer support assistant. Be concise, accurate and polite.",
    f"You work on the {CO} support team. Follow company policy: refunds within 14 days of a charge, Vault returns within 30 days of delivery.",
    f"You are a helpful assistant for {CO} customers. If you are unsure, offer to escalate to a human specialist.",
    f"Role: Tier 1 support, {CO} Cloud Storage. Tone: warm and professional. Always confirm the next step.",
]

INTENTS: dict[str, dict[str, Any]] = {
    "billing": {
        "scenarios": [
            {"user": ["I was charged {amount} twice for my {plan} plan this month.",
                      "My card statement shows two charges of {amount} from {CO} on {date}.",
                      "There are two identical payments of {amount} to {CO} on my statement."],
             "diag": ["I checked the billing history on your account and I can see both charges of {amount} from {date}.",
                      "I pulled up invoice {invoice}, and there are indeed two payments of {amount} for the same period."],
             "action": ["The second one is a pre-authorization that your bank will release within 3 to 5 business days, so you won't pay twice.",
                        "A duplicate payment went through when the first attempt timed out, so I've reversed the extra {amount} today."],
             "issue": "was charged twice for the {plan} plan", "done": "reversed the duplicate charge"},
            {"user": ["There's a charge for {amount} on {date} that I don't recognize.",
                      "You took {amount} from my account on {date} and I never agreed to a yearly renewal.",
                      "What is the {amount} payment to {CO} from {date}?"],
             "diag": ["Looking at your account, the {plan} subscription renewed on {date} for {amount}.",
                      "That payment is the annual renewal of your {plan} plan, billed on {date}."],
             "action": ["Annual billing covers the full year rather than a single month; if you'd prefer monthly billing I can switch it and refund the difference.",
                        "We send a reminder 7 days before each renewal, but it's easy to miss, and since the charge is recent I can refund it if you don't want the year."],
             "issue": "did not recognize a {amount} renewal charge", "done": "explained the annual renewal and offered a refund"},
            {"user": ["The {plan} plan renewed at {amount} but the pricing page says it should be cheaper.",
                      "Why did my bill go up this month? I'm on {plan} and it used to cost less than {amount}."],
             "diag": ["Prices for the {plan} plan changed at the start of the quarter.",
                      "Your {plan} renewal on {date} used the new price list."],
             "action": ["We emailed a notice 30 days before the renewal, and the price on the website is a promotional rate for new sign-ups.",
                        "The new price includes the extra storage added last quarter; if it no longer suits you, the Plus plan at $4.99 a month is an option."],
             "issue": "questioned a price increase on the {plan} plan", "done": "explained the new pricing and the alternatives"},
            {"user": ["I got billed {amount} even though I thought I was still on the free Starter plan.",
                      "Why was I charged {amount}? I never chose a paid plan."],
             "diag": ["The 30-day trial of {plan} you started ended on {date}, which is why the first paid month was billed.",
                      "I can see a {plan} trial was activated from the mobile app and converted to a paid plan on {date}."],
             "action": ["Since you didn't mean to keep it, I've cancelled the plan and refunded {amount}; your account is back on Starter.",
                        "I've refunded the charge and set the account back to the free Starter plan, so nothing else will be billed."],
             "issue": "was billed after a {plan} trial ended", "done": "refunded the charge and restored the Starter plan"},
        ],
        "details": ["The invoice number is {invoice}.", "I only have one account as far as I know.",
                    "I pay with the card ending in {last4}.", "This has happened two months in a row now.",
                    "My bank says the payment is not pending, it went through."],
        "asks": ["Can you refund it?", "Could you explain what this is for?", "Please fix this as soon as possible.",
                 "What do I need to do to get this sorted?", "Can someone look into it?"],
        "extras": ["You'll receive a confirmation email with the updated invoice shortly.",
                   "You can review every payment under Settings > Billing > History in the web app.",
                   "If anything still looks wrong after a week, reply here and I'll escalate it to our payments team.",
                   "I've also added a note to your account so the next renewal is checked by hand."],
        "followups": [
            ("Thanks. Will the money go back to the same card?",
             "Yes, refunds always return to the original payment method, usually within 5 to 10 business days depending on your bank."),
            ("How long until I see that on my statement?",
             "Most banks show the reversal within a week; a few take until the next statement to display it."),
            ("Can you send me an invoice with my company name on it?",
             "Of course. Add the company name under Settings > Billing > Invoice details and every invoice, past ones included, can be downloaded again with it."),
            ("Can I switch to monthly billing instead?",
             "Yes. Under Settings > Billing choose Change billing period; the switch takes effect when the current annual term ends."),
        ],
        "kb_topics": ["handle a customer who sees two charges for the same {plan} renewal",
                      "explain an unexpected renewal charge of {amount} to a customer",
                      "check whether a charge on invoice {invoice} is a duplicate"],
        "kb_steps": [
            ["Open the customer's billing history in the admin console and locate every payment from the last 60 days.",
             "In the admin console, pull up the payment history and filter it to the last two billing cycles."],
            ["Compare the payment IDs: a pre-authorization has status AUTH and is released by the bank automatically.",
             "Check the status column; AUTH entries are temporary holds, while CAPTURED entries are real charges."],
            ["If two captured payments share the same billing period, refund the later one with reason code DUP.",
             "Refund any second captured charge for the same period using the Duplicate charge reason."],
            ["Tell the customer the expected timeline: 5 to 10 business days for the refund to appear.",
             "Confirm the refund in writing and mention that banks need up to 10 business days to show it."],
            ["Add an internal note to the account so the next renewal is reviewed.",
             "Tag the ticket billing-duplicate so the payments team can track recurring cases."],
        ],
        "kb_notes": ["Never ask the customer for a full card number; the last four digits are enough to match a payment.",
                     "Annual renewals are billed in full on the renewal date; customers often mistake them for a duplicate.",
                     "Charges older than 14 days need a team lead's approval before they are refunded."],
        "bad": ["Our system doesn't make mistakes, so the charge is correct.", "Ask your bank, not us.",
                "Charges can't be refunded after they are processed. Nothing to do."],
    },
    "refund": {
        "scenarios": [
            {"user": ["I'd like a refund for the {plan} plan, I upgraded by mistake on {date}.",
                      "I upgraded to {plan} on {date} without meaning to. Can I get that money back?"],
             "diag": ["I've reviewed the account and your upgrade on {date} is within our 14-day refund window.",
                      "Your {plan} upgrade on {date} qualifies for a full refund because no extra storage was used yet."],
             "action": ["I've moved your account back to the previous plan and refunded the difference of {amount}.",
                        "I've reversed the upgrade and sent {amount} back to the card you paid with."],
             "issue": "upgraded to {plan} by mistake", "done": "reverted the plan and refunded the difference"},
            {"user": ["Please refund my {device}; I returned it last week and haven't heard anything.",
                      "I sent back my {device} (order {order}) and I'm still waiting for the refund."],
             "diag": ["I found order {order}, and the warehouse confirmed the returned {device} arrived in good condition.",
                      "The return of your {device} was scanned in at our warehouse on {date}."],
             "action": ["I've released the refund of {amount} to your original payment method just now.",
                        "The refund of {amount} has been approved and will go back to the card you paid with."],
             "issue": "was waiting for a refund on a returned {device}", "done": "released the hardware refund"},
            {"user": ["My refund for order {order} was approved but the money never arrived.",
                      "I was promised a refund of {amount} by one of your agents and it has not shown up."],
             "diag": ["I can see the refund of {amount} was issued on {date} from our side.",
                      "Our payment processor shows the refund of {amount} as completed on {date}."],
             "action": ["Because it left us on {date}, the delay is on the bank's side; it usually posts within 10 business days.",
                        "I've attached the refund reference to this ticket so your bank can trace the payment."],
             "issue": "had not received an approved refund of {amount}", "done": "shared the refund reference for the bank"},
            {"user": ["I cancelled within the trial but still got charged {amount}. I want that back.",
                      "My trial ended after I had cancelled it, yet you billed me {amount}."],
             "diag": ["You're right that the charge came through on {date}, just after the cancellation.",
                      "I can see the cancellation was registered before the trial ended, so that charge shouldn't have happened."],
             "action": ["I've refunded the full {amount}, and the account stays on the free Starter plan.",
                        "The {amount} is on its way back to your card, and the account is on the free Starter plan."],
             "issue": "was charged {amount} after cancelling a trial", "done": "refunded the charge"},
            {"user": ["Can I get my money back for the yearly {plan} subscription? I only used it for {days} days.",
                      "I bought a year of {plan} {days} days ago and it's not for me. Is a refund possible?"],
             "diag": ["Your yearly {plan} subscription started on {date}, which is still inside the 14-day window.",
                      "Annual plans can be refunded in full within 14 days, and you're within that."],
             "action": ["I've cancelled the subscription and refunded {amount} to your original payment method.",
                        "I've processed the refund of {amount}; the account moves back to Starter today."],
             "issue": "wanted a refund of a yearly {plan} subscription", "done": "cancelled and refunded the subscription"},
        ],
        "details": ["The order number is {order}.", "I have the cancellation email from {date}.",
                    "It's been more than two weeks already.", "I paid by card, if that matters."],
        "asks": ["How do I get this processed?", "What's the status?", "Could you help me out?",
                 "Please let me know what you need from me.", "When can I expect it?"],
        "extras": ["You'll get an email receipt with the refund reference in a few minutes.",
                   "If nothing shows up after 10 business days, send us a bank statement screenshot and we'll trace it.",
                   "Your files stay exactly where they are; only the billing changes."],
        "followups": [
            ("Will I lose my extra storage right away?",
             "No. You keep the extra space until the end of the current period, then the account returns to the previous quota."),
            ("Could I have had this as account credit instead?",
             "Yes, for future refunds just ask and we'll convert it to credit, which is applied automatically to your next invoice."),
            ("Is there anything I need to do on my side?",
             "No, everything is done from our end; the refund appears on your statement as a credit from Northwind."),
        ],
        "kb_topics": ["process a refund for a {plan} upgrade made by mistake", "refund a returned {device} order",
                      "trace a refund of {amount} that a customer has not received"],
        "kb_steps": [
            ["Confirm the charge is within the 14-day refund window shown in the admin console.",
             "Check the purchase date; the standard refund window is 14 days from the charge."],
            ["For hardware, make sure the warehouse has marked the return as received before refunding.",
             "For Vault devices, wait for the warehouse receipt scan before you release any money."],
            ["Issue the refund to the original payment method from the Payments tab.",
             "Use Refund to original method; manual bank transfers are not allowed."],
            ["Send the customer the refund reference so their bank can trace it.",
             "Share the refund reference number and the expected 10-business-day timeline."],
        ],
        "kb_notes": ["Partial months on annual plans are refunded pro rata only when a team lead approves it.",
                     "Account credit can replace a refund if the customer asks for it explicitly.",
                     "Refunds cannot be sent to a different card than the one charged."],
        "bad": ["No refunds. It's in the terms.", "We already refunded you, check again.",
                "Refunds take 90 days, please stop writing in."],
    },
    "login": {
        "scenarios": [
            {"user": ["I can't log in to my {CO} account; it keeps saying my password is wrong.",
                      "I forgot my password and can't sign in anymore."],
             "diag": ["For security reasons I can't change the password for you, but I can help you reset it safely.",
                      "Agents can't see or set passwords, but a reset only takes a minute."],
             "action": ["I've sent a reset link to the email on your account; please open it within 30 minutes.",
                        "Use Forgot password on the sign-in page and choose a password you haven't used with us before."],
             "issue": "could not sign in with their password", "done": "sent a password reset link"},
            {"user": ["The password reset email never arrives, I've tried {days} times.",
                      "I requested a password reset {days} times and nothing came."],
             "diag": ["It looks like the reset emails were blocked by your mail provider.",
                      "Our logs show your mail provider rejected the reset emails."],
             "action": ["I've re-sent the reset email from a different mail server; please open the link within 30 minutes.",
                        "I've sent a fresh link through our backup mail server; please check your spam folder too."],
             "issue": "never received the password reset email", "done": "resent the reset email through the backup relay"},
            {"user": ["I lost my phone and now I can't get past two-factor authentication.",
                      "My new phone doesn't have the authenticator app anymore and I'm locked out."],
             "diag": ["When the two-factor device is lost, we verify ownership with one of your backup codes or a short identity check.",
                      "Losing the authenticator is common, and there are two safe ways back in."],
             "action": ["If you saved backup codes when you set up two-factor, enter one on the verification screen and then register your new phone.",
                        "I've sent a verification request to the recovery email on file; once you confirm it, two-factor will be reset."],
             "issue": "lost the phone used for two-factor", "done": "started the two-factor recovery"},
            {"user": ["My account got locked after too many attempts and I need my files today.",
                      "It says my account is temporarily locked. How long does that last?"],
             "diag": ["I can see the account was temporarily locked after several failed sign-in attempts.",
                      "The lock was triggered by repeated failed sign-ins, which is a protection against password guessing."],
             "action": ["The lock clears automatically after 15 minutes, after which you can sign in with your current password.",
                        "It lifts by itself within 15 minutes; if you're unsure of the password, use Forgot password once it does."],
             "issue": "had a locked account after failed attempts", "done": "explained the 15-minute lock"},
            {"user": ["When I sign in on {browser} it just loops back to the login page.",
                      "Signing in on {browser} takes me back to the sign-in screen every time."],
             "diag": ["A redirect loop like that is almost always caused by an old session cookie.",
                      "Nothing is wrong with the account itself; the loop comes from a stale session in {browser}."],
             "action": ["Try signing in from a private window in {browser}; if that works, clear the cookies for our site.",
                        "Please clear the site data for our domain in {browser} settings and sign in again."],
             "issue": "hit a sign-in redirect loop in {browser}", "done": "suggested clearing the session cookies"},
        ],
        "details": ["I'm using {os}.", "I already cleared my cookies.", "The error mentions code {code}.",
                    "It worked fine until {date}.", "Nothing is in my spam folder either."],
        "asks": ["How can I get back in?", "Please help me regain access.", "What should I do?",
                 "Can you unlock it?", "Is there another way to verify me?"],
        "extras": ["Once you're back in, I'd recommend turning on passkeys under Settings > Security.",
                   "After signing in, review Settings > Security > Devices and remove anything you don't recognize.",
                   "None of your files are affected while you're signed out."],
        "followups": [
            ("I don't have the backup codes anymore. What now?",
             "Then we'll use the identity check: reply with the approximate date you opened the account and the last four digits of the card on file, and a specialist will review it within one business day."),
            ("It worked, thanks. Should I sign out my other devices?",
             "Good idea. Settings > Security > Sign out everywhere ends every other session; you'll just sign in again on each device."),
            ("Still getting the same error, unfortunately.",
             "Thanks for trying. I've escalated this to our accounts team with the details, and they'll reply on this ticket within a day."),
        ],
        "kb_topics": ["help a customer who lost their two-factor device",
                      "unlock an account after repeated failed sign-ins on {browser}",
                      "troubleshoot password reset emails that never arrive"],
        "kb_steps": [
            ["Never reset a password or disable two-factor from the admin console on the customer's behalf.",
             "Do not change credentials for the customer; support only triggers self-service flows."],
            ["Check the security log for lockouts; automatic locks clear after 15 minutes.",
             "Look at the sign-in events: a lock caused by failed attempts expires by itself after 15 minutes."],
            ["If reset emails bounce, resend from the secondary mail relay and ask the customer to check spam.",
             "For missing reset emails, verify the address on file and resend using the backup mail relay."],
            ["For a lost two-factor device, ask for a backup code first; otherwise start the identity check workflow.",
             "When no backup code is available, open an identity check; a specialist decides within one business day."],
            ["Recommend passkeys and a review of signed-in devices once access is restored.",
             "After recovery, point the customer to Settings > Security to review devices and add a passkey."],
        ],
        "kb_notes": ["Identity checks never use the full card number, only the last four digits and the account opening date.",
                     "Redirect loops on sign-in are almost always a stale session cookie; a private window confirms it.",
                     "Locked accounts keep syncing existing sessions, so files are not at risk during a lock."],
        "bad": ["Just make a new account.", "Tell me your password and I'll check it.",
                "Two-factor can't be reset, your files are gone."],
    },
    "sync": {
        "scenarios": [
            {"user": ["{app} shows error {code} and nothing has synced since {date}.",
                      "I keep getting error {code} in {app}."],
             "diag": ["Error {code} means the client lost its connection token, which usually happens after a password change.",
                      "{code} shows up when the session token on the device has expired."],
             "action": ["Please sign out of {app}, sign back in, and let it rescan your folders.",
                        "Updating to the latest client version and signing in again clears the {code} loop that some {os} users saw last month."],
             "issue": "saw sync error {code} in {app}", "done": "had the customer sign out and back in"},
            {"user": ["Sync is stuck at 99% on {os} and the file {file} never finishes uploading.",
                      "{file} has been 'uploading' for two days on {os}."],
             "diag": ["A file stuck at 99% is normally locked by another program, so the client waits until it is closed.",
                      "The client can't finish the upload while another program keeps {file} open."],
             "action": ["Close any program that has {file} open, then choose Pause and Resume syncing from the tray icon.",
                        "Please quit the app using {file} and the upload should complete within a few minutes."],
             "issue": "had {file} stuck uploading", "done": "explained the file lock and pause/resume"},
            {"user": ["I keep getting 'conflicted copy' duplicates of {file} every time I save.",
                      "Why are there files called '{file} (conflicted copy)' all over {folder}?"],
             "diag": ["Conflicted copies appear when the same file is edited on two devices before either has finished syncing.",
                      "The client creates a conflicted copy whenever it can't merge two edits of the same file."],
             "action": ["Let each device finish syncing before editing, and you can safely delete the older copy once you've checked it.",
                        "Turning on Files On-Demand for {folder} on the second device stops it from keeping its own stale copy."],
             "issue": "got conflicted copies in {folder}", "done": "explained conflicted copies"},
            {"user": ["My files in {folder} aren't syncing between my laptop and phone.",
                      "The desktop client says 'Waiting to sync' forever for the folder {folder}.",
                      "Changes I make on {os} don't show up on the web for hours."],
             "diag": ["I checked our status page and there is no outage, so this looks specific to your device.",
                      "Your account shows the last successful sync from that device on {date}."],
             "action": ["Open Preferences > Advanced and select Rebuild sync index; it keeps your files and only rebuilds the local database.",
                        "Make sure {os} isn't putting the client to sleep in the background by allowing it under battery settings."],
             "issue": "had {folder} stop syncing", "done": "walked through an index rebuild"},
        ],
        "details": ["I've already restarted the app twice.", "I'm on the {plan} plan with plenty of space left.",
                    "My internet connection is fine otherwise.", "It started after the latest update.",
                    "The folder has about {n_files} files in it."],
        "asks": ["How do I fix this?", "Any idea what's going on?", "Can you help me get it working again?",
                 "Is there an outage?", "What should I try next?"],
        "extras": ["If it's still stuck after an hour, send us the diagnostics file from Help > Export logs.",
                   "Your files are safe on our servers in the meantime, and you can reach them on the web.",
                   "Excluding large temporary folders from sync also speeds things up considerably."],
        "followups": [
            ("I tried that but it's still not working.",
             "Thanks for checking. Please export the logs from Help > Export logs and attach them here so our engineers can see which step fails."),
            ("That fixed it! Why did it happen in the first place?",
             "The local sync state got out of step with the server after the update; refreshing it re-created it from scratch."),
            ("Do I need to do this on my other computer too?",
             "Only if it shows the same problem. The fix is per device and doesn't affect the others."),
        ],
        "kb_topics": ["resolve sync error {code} in {app}", "fix a file that is stuck uploading at 99% on {os}",
                      "explain and stop conflicted copies of a file"],
        "kb_steps": [
            ["Check the status page first to rule out a service incident.",
             "Rule out an outage on the public status page before troubleshooting the device."],
            ["Ask the customer to sign out and back in to refresh the connection token.",
             "Have the customer re-authenticate the client; token errors clear after a fresh sign-in."],
            ["Close programs holding the file open, then pause and resume syncing.",
             "Locked files block uploads; closing the program that holds the lock usually unblocks the queue."],
            ["If the problem persists, rebuild the sync index from Preferences > Advanced.",
             "As a next step, use Rebuild sync index, which keeps files and recreates the local database."],
            ["Collect the diagnostics file from Help > Export logs and attach it to the ticket.",
             "Escalate with the exported logs attached if none of the steps above work."],
        ],
        "kb_notes": ["Rebuilding the index never deletes files, but it can take an hour for large folders.",
                     "Conflicted copies are a safety feature: the client never overwrites an edit it cannot merge.",
                     "Battery savers on mobile devices are the most common cause of delayed uploads."],
        "bad": ["Reinstall your computer.", "Sync works fine on our end, so it's your problem.",
                "Delete the folder and upload everything again."],
    },
    "storage": {
        "scenarios": [
            {"user": ["I deleted a bunch of files but my storage usage didn't go down.",
                      "My account says storage is full but I've only uploaded a few photos since I cleaned up."],
             "diag": ["Deleted files keep counting toward your quota while they sit in Recently Deleted.",
                      "I can see about {gb} GB sitting in Recently Deleted, which still counts against your space."],
             "action": ["Empty Recently Deleted from the web app and the space is released within about an hour.",
                        "Once you empty Recently Deleted, the quota refreshes within the hour."],
             "issue": "saw no change in storage after deleting files", "done": "explained Recently Deleted"},
            {"user": ["I'm at {gb} GB out of {storage} on {plan} and I'm not sure what's using it.",
                      "I keep getting 'Storage almost full' emails even after cleaning up."],
             "diag": ["I checked your usage report and most of the space is taken by camera uploads from your phone.",
                      "Version history is stored alongside your files, and large files edited often can build up many versions."],
             "action": ["Under Settings > Storage > Versions you can delete old versions of large files like {file}.",
                        "The usage report under Settings > Storage breaks down space by folder, which should show what changed."],
             "issue": "could not tell what used space on {plan}", "done": "pointed to the usage report and versions"},
            {"user": ["Why does {folder} count against my quota when it's shared from someone else?",
                      "A friend shared {folder} with me and now my storage looks fuller."],
             "diag": ["Folders shared with you only count against the owner's quota, so {folder} shouldn't affect yours.",
                      "Shared folders are billed to their owner, not to the people they're shared with."],
             "action": ["If you copied files out of {folder} into your own space, those copies do count; the usage report will show them.",
                        "I've refreshed your quota calculation manually, so the shared folder should no longer appear in your total."],
             "issue": "thought a shared folder used their quota", "done": "explained how shared folders count"},
            {"user": ["Uploads fail because I'm over quota, but the numbers don't add up.",
                      "The web app and the desktop app show different storage numbers."],
             "diag": ["The desktop and web numbers differ for a few minutes after a cleanup while the totals refresh.",
                      "Your quota total was last recalculated before your recent cleanup."],
             "action": ["I've recalculated the quota by hand, and the web app now shows the correct figure.",
                        "Give it an hour for the quota job to run; uploads resume automatically once you're below the limit."],
             "issue": "saw quota numbers that did not add up", "done": "recalculated the quota manually"},
        ],
        "details": ["I already emptied the trash on my computer.", "I'm the owner of the family plan.",
                    "This started around {date}.", "I'm on the {plan} plan."],
        "asks": ["Can you check what's taking up the space?", "How do I free up space?", "Is this a bug?",
                 "What am I missing?", "Should I upgrade?"],
        "extras": ["If you need more room, the {plan} plan gives you {storage}.",
                   "You won't lose anything by emptying Recently Deleted except the files already in it.",
                   "Quota totals refresh every hour."],
        "followups": [
            ("I did that but the number is the same.",
             "The quota job runs every hour, so give it a bit more time; if it hasn't changed by tomorrow I'll recalculate it by hand."),
            ("Does the family plan share storage between everyone?",
             "Yes, members share the plan's total space, and each member can see their own share in the usage report."),
            ("Which files are the biggest?",
             "In the web app, open Settings > Storage and sort the list by size; it covers versions too."),
        ],
        "kb_topics": ["explain why storage usage did not drop after deleting files", "find what is using space on a {plan} account",
                      "recalculate a quota that looks wrong"],
        "kb_steps": [
            ["Ask whether the files are still in Recently Deleted; they count until purged.",
             "Check Recently Deleted first, because those files still use quota."],
            ["Open the usage report to see space by folder and by file versions.",
             "Use the usage report in the admin console to break usage down by folder."],
            ["Explain that shared folders count only against the owner's quota.",
             "Clarify that content shared with the customer does not use their space."],
            ["If totals still look wrong after an hour, trigger a manual quota recalculation.",
             "Run Recalculate quota from the admin console when the numbers are stale for more than an hour."],
        ],
        "kb_notes": ["Version history can exceed the size of the current files for frequently edited media.",
                     "Family plan members share one pool of storage.",
                     "Quota totals refresh hourly, so fresh cleanups can take a while to show."],
        "bad": ["Just buy more storage.", "Storage is calculated correctly, nothing to check.",
                "Delete everything and start over."],
    },
    "shipping": {
        "scenarios": [
            {"user": ["Where is my {device}? Order {order} was supposed to arrive by {date}.",
                      "The tracking number {tracking} from {carrier} hasn't updated in {days} days."],
             "diag": ["I checked order {order} and {carrier} shows the parcel at their regional hub since {date}.",
                      "I've opened a trace with {carrier} for tracking number {tracking}."],
             "action": ["If there's no movement within 2 business days, we'll ship a replacement at no charge.",
                        "I'll follow up with the courier on Thursday, and if it's lost a replacement goes out by express at our cost."],
             "issue": "had a late {device} order", "done": "opened a carrier trace"},
            {"user": ["My {device} arrived with a cracked case.", "The {device} I received won't power on and the box was badly dented."],
             "diag": ["I'm sorry the {device} arrived damaged; that's covered by our replacement policy.",
                      "That sounds like transit damage, which we replace without any cost to you."],
             "action": ["Please send a photo of the damage and the box, and I'll arrange a replacement plus a prepaid return label.",
                        "Once you reply with a couple of photos, a new {device} ships by express with a return label for the damaged one."],
             "issue": "received a damaged {device}", "done": "arranged a replacement with a return label"},
            {"user": ["I ordered a {device} but received a {other_device} instead.",
                      "Order {order} contained the wrong model, a {other_device}."],
             "diag": ["Sorry about the mix-up; the warehouse picked the wrong model for order {order}.",
                      "I can see order {order} was packed with a {other_device} by mistake."],
             "action": ["A {device} will ship today with express delivery, and the wrong unit can go back with the enclosed label.",
                        "I've created a replacement order for the {device}; please return the {other_device} with the prepaid label we email you."],
             "issue": "received the wrong device model", "done": "shipped the correct model with a return label"},
            {"user": ["The {carrier} driver says the package was delivered but I never got it.",
                      "Tracking for order {order} says delivered, but there's nothing at my door."],
             "diag": ["{carrier} marked the parcel as delivered on {date}, but that sometimes happens a day early.",
                      "The scan shows delivered, though couriers occasionally scan parcels before they reach the door."],
             "action": ["Please check again tomorrow; if it still hasn't turned up, reply here and I'll open a claim and send a replacement.",
                        "If it hasn't appeared within 24 hours, I'll file a claim with {carrier} and ship a new one at no cost."],
             "issue": "did not receive a parcel marked delivered", "done": "explained the 24-hour wait before a claim"},
            {"user": ["Can I change the delivery address for order {order}? I'm moving next week.",
                      "I need order {order} sent to a different address."],
             "diag": ["Order {order} hasn't left our warehouse yet, so the address can still be changed.",
                      "Order {order} is still in Processing, which means we can edit the address."],
             "action": ["Update it under Account > Orders > {order} and you'll get a new confirmation email.",
                        "Reply with the new address and the shipping label will be reprinted before dispatch."],
             "issue": "asked to change the address of order {order}", "done": "explained how to update the address"},
        ],
        "details": ["I paid for express shipping.", "It's a gift so timing matters.", "I ordered it on {date}.",
                    "This is my first order with you."],
        "asks": ["What can you do?", "Can you send a replacement?", "Please advise.", "How do I sort this out?",
                 "Can you check with the courier?"],
        "extras": ["You'll receive tracking details by email once a label is created.",
                   "There's nothing to pay for any replacement or return.",
                   "You can follow the order any time under Account > Orders."],
        "followups": [
            ("Do I need the original box to send it back?",
             "Any sturdy box works; just attach the prepaid label we email you and remove old shipping labels."),
            ("How long will the replacement take?",
             "Express replacements usually arrive in 2 to 3 business days after the label is scanned."),
            ("The tracking page still says 'label created'.",
             "That's normal for the first 24 hours; the status changes when the courier picks it up from the warehouse."),
        ],
        "kb_topics": ["handle a {device} that arrived damaged", "open a trace for a stalled {carrier} shipment",
                      "change the delivery address on an order"],
        "kb_steps": [
            ["Look up the order and check the latest carrier scan in the shipping tab.",
             "Confirm the order status and the most recent tracking event."],
            ["For damage, request photos of the device and the outer box.",
             "Ask for pictures of the damaged unit and its packaging before approving anything."],
            ["Create a replacement order with express shipping and attach a prepaid return label.",
             "Raise a no-charge replacement and email the customer a prepaid return label."],
            ["For stalled parcels, open a carrier trace and set a reminder for 2 business days.",
             "If tracking is stuck, file a trace with the carrier and follow up in two business days."],
            ["Address changes are only possible before the order leaves the warehouse.",
             "Edit the address only while the order status is still Processing."],
        ],
        "kb_notes": ["Replacements for damaged devices never require the customer to pay upfront.",
                     "Parcels marked delivered but missing need 24 hours before a claim can be opened.",
                     "Express shipping fees are refunded when delivery is late."],
        "bad": ["Shipping isn't our responsibility, call the courier.", "It says delivered, so it was delivered.",
                "Damaged items can't be replaced."],
    },
    "cancel": {
        "scenarios": [
            {"user": ["Please cancel my {plan} subscription.", "How do I cancel? I can't find the option anywhere in the app.",
                      "I'd like to stop the automatic renewal before {date}."],
             "diag": ["I'm sorry to see you go, and I can help with that.",
                      "You can cancel any time from Settings > Plan > Cancel subscription in the web app."],
             "action": ["I've turned off automatic renewal for your {plan} plan, and there's no cancellation fee.",
                        "Your plan stays active until the end of the billing period, and then the account moves to the free Starter plan with 10 GB."],
             "issue": "wanted to cancel the {plan} plan", "done": "turned off auto-renew and confirmed the end date"},
            {"user": ["I want to close my account and delete all my data.",
                      "Please delete my {CO} account completely."],
             "diag": ["I can start the account deletion for you right away.",
                      "I've received your deletion request and verified it came from the account email."],
             "action": ["Account deletion is permanent after a 30-day grace period, during which you can still change your mind.",
                        "Everything is erased after a 30-day grace period; signing in before then cancels the deletion."],
             "issue": "asked to delete the account", "done": "started the 30-day deletion grace period"},
            {"user": ["If I cancel now, do I lose my files immediately?",
                      "What happens to my photos if I stop paying for {plan}?"],
             "diag": ["Nothing is deleted the moment you cancel.",
                      "Your files are safe when you cancel; only the storage limit changes."],
             "action": ["Files above the free 10 GB limit stay available for 60 days, so you have time to download them.",
                        "After the plan ends you have 60 days to download anything above the 10 GB free limit."],
             "issue": "asked how cancellation affects files", "done": "explained the 60-day download window"},
            {"user": ["I signed up through the iPhone app and need to cancel the {plan} plan.",
                      "I'm moving to another service and need to cancel the family plan I bought on my iPad."],
             "diag": ["Since you subscribed through the App Store, the cancellation has to be done in your Apple account settings.",
                      "Subscriptions bought in the App Store are managed by Apple, so we can't cancel them from our side."],
             "action": ["Open Settings on your iPhone or iPad, tap your name, then Subscriptions, and choose {CO}.",
                        "In the App Store app, tap your profile picture, then Subscriptions, and cancel {CO} there."],
             "issue": "needed to cancel an App Store subscription", "done": "explained the App Store cancellation path"},
        ],
        "details": ["I've already downloaded everything I need.", "Money is tight at the moment.",
                    "I'm the only user on the account.", "I've been a customer since 2021."],
        "asks": ["What happens next?", "Can you confirm once it's done?", "Is there a cancellation fee?",
                 "Thanks for handling it.", "Please make sure I'm not charged again."],
        "extras": ["You'll get a confirmation email with the exact end date.",
                   "If you'd like a lower price instead, the Plus plan is $4.99 a month.",
                   "Family members are notified so they can move their files."],
        "followups": [
            ("Can I come back later and keep the same account?",
             "Yes. As long as the account isn't deleted, you can resubscribe any time and everything is where you left it."),
            ("Will my shared links keep working?",
             "Links keep working while the files exist; once files are removed after the 60-day window, their links stop."),
            ("How do I download everything at once?",
             "Use Settings > Account > Export data; we prepare a set of zip files and email you a download link."),
        ],
        "kb_topics": ["cancel a {plan} subscription bought on the web", "explain what happens to files after cancellation",
                      "delete an account at the customer's request"],
        "kb_steps": [
            ["Check where the subscription was purchased: web, App Store or Google Play.",
             "Identify the billing channel first, because app-store plans must be cancelled there."],
            ["For web purchases, turn off auto-renew in the admin console and confirm the end date.",
             "Disable automatic renewal and send the confirmation with the last paid day."],
            ["Explain the 60-day window for files above the free 10 GB limit.",
             "Remind the customer that content over 10 GB stays downloadable for 60 days."],
            ["For deletion, start the 30-day grace period and send the confirmation template.",
             "Account deletion starts a 30-day grace period before everything is erased."],
        ],
        "kb_notes": ["Never offer discounts that are not in the current retention playbook.",
                     "Family plan owners must be told that members lose the shared storage too.",
                     "Deleted accounts cannot be restored once the grace period ends."],
        "bad": ["You can't cancel until the contract ends.", "Cancelling deletes all your files right now.",
                "Why would you cancel? Our service is the best."],
    },
    "plan": {
        "scenarios": [
            {"user": ["I want to upgrade from Plus to {up_plan}. Do I pay the full price right away?",
                      "If I move up to {up_plan} today, how is the first month billed?"],
             "diag": ["Upgrades take effect immediately and you only pay the prorated difference for the rest of the period.",
                      "The {up_plan} plan includes {up_storage} and costs {up_price} a month; today you'd only pay the prorated difference."],
             "action": ["You can change plans under Settings > Plan in the web app; the checkout shows the exact prorated amount.",
                        "I've made the change on your account; you'll see the new quota within a few minutes."],
             "issue": "asked about upgrading to {up_plan}", "done": "explained prorated upgrades"},
            {"user": ["Can I downgrade to a smaller plan in the middle of my billing period?",
                      "I'd like to go down from {up_plan} to Plus. When does that take effect?"],
             "diag": ["Downgrades are applied at the end of your current billing period, so nothing changes until then.",
                      "A downgrade is scheduled for your renewal date rather than applied straight away."],
             "action": ["If you go over the smaller quota after the downgrade, uploads pause until you free up space.",
                        "I've scheduled the downgrade; you can cancel it under Settings > Plan any time before the renewal."],
             "issue": "wanted to downgrade mid-period", "done": "scheduled the downgrade for renewal"},
            {"user": ["What's the difference between Pro and Family for someone with two kids?",
                      "Should I get Pro or Family? There are four of us."],
             "diag": ["Family lets up to six people share 6 TB, each with a private space, while Pro is for a single user with 2 TB.",
                      "Pro gives one person 2 TB, whereas Family shares 6 TB between up to six people."],
             "action": ["For a household, Family is usually the better value at $14.99 a month.",
                        "I've attached the current pricing sheet to this ticket so you can compare the plans side by side."],
             "issue": "compared the Pro and Family plans", "done": "explained the plan differences"},
            {"user": ["Is there a student discount on the {plan} plan?",
                      "If I switch to yearly billing, how much would {plan} cost?"],
             "diag": ["The {plan} plan is {price} a month or {yearly} a year, so yearly billing saves about two months' worth.",
                      "On yearly billing, {plan} costs {yearly} instead of twelve payments of {price}."],
             "action": ["We don't offer student discounts at the moment, so yearly billing is the cheapest way to pay.",
                        "You can switch to yearly under Settings > Billing, and the change applies at your next renewal."],
             "issue": "asked about cheaper ways to pay for {plan}", "done": "explained yearly pricing"},
            {"user": ["How do I add three more seats to our Teams workspace?",
                      "We hired two people. How do I give them Teams seats?"],
             "diag": ["Teams admins add seats from Admin > Billing > Seats.",
                      "Seats can be added by any workspace admin in a couple of clicks."],
             "action": ["New seats are billed from the day they're added, pro rata for the current month.",
                        "Once added, invite the new people from Admin > Members and they get 1 TB each."],
             "issue": "needed more Teams seats", "done": "walked the admin through adding seats"},
        ],
        "details": ["We're using about {gb} GB right now.", "I'm paying monthly at the moment.",
                    "Our company is growing quickly.", "I'd like to keep my current files where they are."],
        "asks": ["What do you recommend?", "Can you make the change for me?", "Just want to be sure first.",
                 "Let me know the options."],
        "extras": ["Your files don't move anywhere when you change plans.",
                   "Prices are shown before tax.", "You can compare every plan on the pricing page."],
        "followups": [
            ("And if I change my mind after upgrading?",
             "You can downgrade again; within 14 days of the upgrade we refund the difference in full."),
            ("Can the seats be removed later?",
             "Yes, admins can remove seats at any time and the next invoice is reduced accordingly."),
            ("Does the price include tax?",
             "Prices are shown before tax; the checkout adds the rate for your billing address."),
        ],
        "kb_topics": ["upgrade a customer from Plus to {plan}", "explain downgrade timing on the {plan} plan",
                      "add seats to a Teams workspace"],
        "kb_steps": [
            ["Confirm the current plan and billing period in the admin console.",
             "Check the customer's plan and whether they pay monthly or yearly."],
            ["Upgrades are immediate and prorated; the console shows the exact amount before you confirm.",
             "Preview the prorated charge before confirming an upgrade."],
            ["Downgrades are scheduled for the end of the period and can be cancelled until then.",
             "Schedule downgrades for the renewal date rather than applying them immediately."],
            ["For Teams, add seats under Admin > Billing > Seats; they are billed from the day added.",
             "Seats are added by the workspace admin and billed pro rata from the same day."],
        ],
        "kb_notes": ["Customers over quota after a downgrade keep their files, but uploads pause.",
                     "Yearly billing is roughly two months cheaper than paying monthly.",
                     "Student discounts are not offered; do not promise one."],
        "bad": ["Plans can't be changed once chosen.", "Just pay for the biggest one.", "Downgrades delete your files."],
    },
    "sharing": {
        "scenarios": [
            {"user": ["The share link I sent to a client says it has expired.",
                      "A link I created on {date} stopped working."],
             "diag": ["Share links on your plan expire after {link_days} days unless you set a different expiry.",
                      "The link reached its expiry date, which defaults to {link_days} days."],
             "action": ["Create a new link from Share > Copy link and set the expiry to the date you need.",
                        "I've extended the link by another {link_days} days, so the same address works again."],
             "issue": "had an expired share link", "done": "explained link expiry and renewed the link"},
            {"user": ["How do I stop someone from downloading files in a shared folder?",
                      "Can I let people view {folder} without being able to download it?"],
             "diag": ["You can make a shared folder view-only, which hides the download button for everyone you invited.",
                      "View-only sharing is available for folders as well as single files."],
             "action": ["Right-click the folder, choose Manage access, and switch the collaborator from Editor to Viewer.",
                        "Open Share > Link settings and turn off Allow downloads."],
             "issue": "wanted view-only sharing for {folder}", "done": "explained view-only access"},
            {"user": ["I accidentally shared {file} publicly. How do I undo that?",
                      "I need to take back a public link to {file} right now."],
             "diag": ["You can revoke a public link at any time, and it stops working immediately.",
                      "Revoking a link takes effect straight away for everyone."],
             "action": ["Open the item, choose Share > Link settings, and turn off the public link.",
                        "In Share > Link settings, switch off Public link; you can create a new one later if needed."],
             "issue": "shared {file} publicly by mistake", "done": "showed how to revoke the link"},
            {"user": ["Is it possible to password-protect a share link?", "Can I put a password on the link to {file}?"],
             "diag": ["Password protection and custom expiry dates are available on the Pro, Family and Teams plans.",
                      "Yes, links can carry a password on Pro, Family and Teams."],
             "action": ["In Share > Link settings you can add a password and an expiry date to any link.",
                        "Open Share > Link settings, tick Require password, and send the password separately from the link."],
             "issue": "wanted a password on a share link", "done": "explained password-protected links"},
            {"user": ["People I share {folder} with can't see the new files I added.",
                      "Files I add to {folder} don't show up for my collaborators."],
             "diag": ["New files added to a shared folder appear for collaborators after their client syncs, usually within minutes.",
                      "Shared folders update for everyone once each collaborator's app syncs."],
             "action": ["If it's been more than an hour, ask them to sign out and back in so their client picks up the change.",
                        "Check that the files were added inside {folder} itself and not to a local copy outside it."],
             "issue": "saw new files missing for collaborators in {folder}", "done": "explained shared folder syncing"},
            {"user": ["My collaborator gets 'access denied' on a folder I shared with them yesterday.",
                      "The person I invited to {folder} says they don't have permission."],
             "diag": ["Access denied usually means the invitation is still pending or was accepted with a different email address.",
                      "The invitation for {folder} still shows as pending on our side."],
             "action": ["Ask your collaborator to accept the invitation email first, using the address you invited.",
                        "I've re-sent the invitation; once they accept it with the invited address, the folder will open."],
             "issue": "saw a collaborator denied access to {folder}", "done": "checked the invitation"},
        ],
        "details": ["I'm on the {plan} plan.", "They're using {browser}.", "It's a fairly large folder.",
                    "It's for a client presentation."],
        "asks": ["What's the right way to do this?", "Can you help?", "Please advise.", "Any suggestions?",
                 "Thanks in advance."],
        "extras": ["Anyone who already downloaded a copy keeps it, but the link itself stops working right away.",
                   "The activity panel shows who opened the link and when.",
                   "You'll find every active link under Settings > Sharing."],
        "followups": [
            ("Can I see who has opened the link?",
             "Yes, the activity panel on the shared item lists each view and download with a timestamp."),
            ("They tried again and it still doesn't work.",
             "Thanks for checking. Please ask them to sign out and back in; if it persists, I'll look at the permissions from our side."),
            ("Can I set links to never expire?",
             "On Pro, Family and Teams you can; on Plus the maximum is 30 days."),
        ],
        "kb_topics": ["revoke a public link to {file}", "set a shared folder to view-only",
                      "troubleshoot access denied on a shared folder"],
        "kb_steps": [
            ["Find the item's link settings under Share > Link settings.",
             "Open the sharing panel of the file or folder in question."],
            ["Turning off the public link revokes it at once; downloaded copies are not affected.",
             "Disable the link to revoke access immediately."],
            ["For invited people, use Manage access to switch Editor to Viewer.",
             "Change collaborator roles from Manage access on the folder."],
            ["If access is denied, confirm the invitation was accepted with the invited email address.",
             "Check that the collaborator accepted the invite with the same address that was invited."],
        ],
        "kb_notes": ["Password-protected links need Pro, Family or Teams.", "Plus plan links expire after at most 30 days.",
                     "The activity panel records views and downloads for 90 days."],
        "bad": ["Sharing is working as intended.", "Just email the file instead.", "Links can't be revoked."],
    },
    "recovery": {
        "scenarios": [
            {"user": ["I accidentally deleted {folder} last week. Can I get it back?",
                      "A family member deleted the {folder} folder on {date}."],
             "diag": ["Deleted files stay in Recently Deleted for 30 days on Plus and 180 days on Pro, Family and Teams.",
                      "Good news: the items deleted on {date} are still in Recently Deleted."],
             "action": ["Open Recently Deleted in the web app, select {folder}, and choose Restore.",
                        "Select the items in Recently Deleted and choose Restore; they go back to their original folders."],
             "issue": "deleted {folder} by mistake", "done": "restored the folder from Recently Deleted"},
            {"user": ["An older version of {file} had content I need. Is it recoverable?",
                      "I overwrote {file} yesterday and need the previous version."],
             "diag": ["Every file keeps its version history, so an older copy of {file} can be restored.",
                      "Version history keeps earlier copies of {file}, including the one from before yesterday's change."],
             "action": ["Right-click {file}, choose Version history, and pick the version from before the change.",
                        "In the web app open {file}, click the clock icon, and restore the version you need."],
             "issue": "needed an older version of {file}", "done": "restored a previous version"},
            {"user": ["My files were renamed with strange extensions, I think it's ransomware.",
                      "Can you restore my whole account to how it was on {date}?"],
             "diag": ["I'm sorry you're dealing with this; the Rewind feature can roll back the whole account.",
                      "The Rewind feature can roll every file in the account back to an earlier moment."],
             "action": ["Please disconnect the affected computer from the internet, then use Settings > Rewind and choose {date}.",
                        "Use Settings > Rewind and choose {date}; it restores files to that moment and keeps a copy of the current state."],
             "issue": "needed the account rolled back after a ransomware scare or mass change", "done": "guided a Rewind"},
            {"user": ["I emptied Recently Deleted by mistake and lost {file}.",
                      "{file} isn't in Recently Deleted anymore. Is it gone for good?"],
             "diag": ["Even after Recently Deleted is emptied, our support team can restore files for a short time from backups.",
                      "Files purged in the last 7 days can still be recovered from our backups."],
             "action": ["I've submitted a restore request for {file}, and it will reappear within 24 hours.",
                        "I've asked our storage team to restore the items purged on {date}; they'll be back within a day."],
             "issue": "emptied Recently Deleted and lost {file}", "done": "requested a backup restore"},
        ],
        "details": ["It's really important, it's for work.", "There were around {n_files} files in it.",
                    "I'm on the {plan} plan.", "I noticed it this morning."],
        "asks": ["Please help!", "Is there any way to recover it?", "What are my options?", "How do I restore it?",
                 "Can you do it from your side?"],
        "extras": ["Restored files come back to their original folders.",
                   "I'll update this ticket as soon as the restore finishes.",
                   "You can turn on deletion alerts under Settings > Notifications."],
        "followups": [
            ("Will that delete the files I added today?",
             "No, current files are kept; Rewind moves them to a separate folder and other restores don't touch them."),
            ("Some files are still missing after the restore.",
             "Please list a couple of the missing names and their last known folder, and I'll search the backups for them."),
            ("How do I stop this from happening again?",
             "You can turn on deletion alerts under Settings > Notifications, and on Family plans limit who can delete shared albums."),
        ],
        "kb_topics": ["restore {folder} after an accidental deletion", "recover an older version of {file}",
                      "respond to a suspected ransomware infection"],
        "kb_steps": [
            ["Check Recently Deleted: 30 days on Plus, 180 days on Pro, Family and Teams.",
             "First look in Recently Deleted, whose retention depends on the plan."],
            ["For changed content, restore from Version history rather than Recently Deleted.",
             "Use Version history when the file exists but its content changed."],
            ["For mass changes or ransomware, have the customer disconnect the device and use Rewind.",
             "Suspected ransomware: isolate the device first, then roll back with Rewind."],
            ["If the retention window has passed, file a backup restore request within 7 days.",
             "Backup restores are possible for 7 days after purge; submit the request from the admin console."],
        ],
        "kb_notes": ["Rewind never deletes current files; it moves them aside.",
                     "Backup restores take up to 24 hours and need a team lead's approval.",
                     "Shared album deletions can be restored by the album owner only."],
        "bad": ["Deleted means deleted.", "We don't keep backups.", "You should have been more careful."],
    },
}
INTENT_NAMES = list(INTENTS)

GENERIC_BAD_OPENERS = ["", "Ok.", "Look,", "As stated on our website,", "Fine.", "Like I said,"]
GENERIC_BAD_CLOSERS = ["", "Nothing else we can do.", "Check the FAQ.", "Ticket closed.", "Read the manual."]

REFUSALS = [
    "As an AI language model, I cannot access your account or billing details. Please contact the appropriate support channel for assistance.",
    "As an AI language model, I don't have the ability to look up orders or process refunds. I recommend reaching out to customer service.",
    "I'm sorry, but as an AI I cannot help with that request. Please consult the company's official resources.",
    "As an AI developed to assist with general questions, I am unable to view personal account information. Please contact support directly.",
    "I apologize, but I cannot provide assistance with account-specific issues. As an AI language model, my knowledge is limited.",
]

KB_QUESTION_FORMS = [
    "How should support {topic}?", "Write a knowledge base article on how to {topic}.",
    "Explain to a new support agent how to {topic}.", "What is the standard procedure to {topic}?",
    "Describe the steps to {topic}.", "Internal guide: how do we {topic}?",
]
KB_INTROS = ["Follow this procedure:", "Here is the approved process.", "Use these steps, in order:",
             "This comes up often and is quick to resolve.", "Procedure (reviewed by the support leads):"]
REPLY_INSTRUCTIONS = [
    "Write a reply to the following customer message.", "Draft a polite support response to this message.",
    f"Respond to this customer as a {CO} support agent.", "Compose a helpful answer for the customer below.",
]
SUMMARY_INSTRUCTIONS = [
    "Summarize this support exchange in two sentences.", "Write a short internal summary of the ticket below.",
    "Give a one-paragraph summary of this conversation for the ticket log.",
]
CLASSIFY_INSTRUCTION = (
    "Classify the customer message into one of these categories: billing, refund, login, sync error, storage, "
    "shipping, cancellation, plan change, sharing, file recovery. Give the category and one sentence of reasoning."
)
CLASSIFY_INSTRUCTIONS = [
    CLASSIFY_INSTRUCTION,
    "Which support queue should this message go to? " + CLASSIFY_INSTRUCTION.split(". ", 1)[1],
]

# --------------------------------------------------------------------------------------------
# Benchmark: distinctive wording, never produced by the templates above. Each template has two
# fillings; {a}/{b}... come from the tuple.
# --------------------------------------------------------------------------------------------

BENCH_TEMPLATES: list[tuple[str, str, list[dict[str, str]]]] = [
    ("Under the {CO} retention rules, for how many days can a subscriber on the {plan} tier still bring back an item from Recently Deleted before the nightly purge erases it?",
     "A {plan} subscriber can bring the item back for {days} days; after that the nightly purge erases it permanently and neither the subscriber nor the support desk can retrieve it any more.",
     [{"plan": "Plus", "days": "30"}, {"plan": "Family", "days": "180"}]),
    ("When a {device} reaches the buyer with a shattered front panel, which evidence must the buyer supply before the warehouse dispatches a substitute unit under the hardware guarantee?",
     "The buyer photographs both the shattered {device} and its outer carton, sends the pictures within {days} days of delivery, and the substitute leaves the warehouse together with a prepaid label for the broken unit.",
     [{"device": "Vault 2", "days": "7"}, {"device": "Vault Mini", "days": "10"}]),
    ("Suppose a Teams administrator revokes the seat of a departing colleague; what becomes of the public links that this colleague had generated for {folder}?",
     "Every public link the departing colleague generated for {folder} is deactivated as soon as the seat is revoked, while the underlying files pass to the administrator, who may publish fresh links.",
     [{"folder": "Clients/Archive"}, {"folder": "Design/Mockups"}]),
    ("How much does the {plan} tier cost per year when paid annually, and how does that compare with twelve separate monthly payments?",
     "Paid annually the {plan} tier costs {yearly}, whereas twelve monthly payments of {price} add up to {twelve}, so annual billing is cheaper by roughly two months of fees.",
     [{"plan": "Pro", "yearly": "$99.99", "price": "$9.99", "twelve": "$119.88"},
      {"plan": "Family", "yearly": "$149.99", "price": "$14.99", "twelve": "$179.88"}]),
    ("What is the quickest remedy a desk technician should propose when the desktop client keeps reporting {code} straight after the subscriber altered the account password?",
     "The technician should propose that the subscriber signs out of the desktop client and signs back in, because {code} simply indicates a stale connection token that the fresh sign-in replaces.",
     [{"code": "NW-E1042"}, {"code": "SYNC-409"}]),
    ("Which identity evidence is a specialist allowed to accept when a subscriber has misplaced both the authenticator phone and every printed backup code for {CO}?",
     "The specialist may accept only the approximate account opening date together with the last four digits of the card on file; a complete card number or a password must never be requested.",
     [{}, {"CO": "the Northwind service"}]),
    ("For a parcel that the courier {carrier} marks as handed over but which the recipient cannot locate, how long must support wait before lodging a claim?",
     "Support waits a full 24 hours after the handed-over scan by {carrier}, because couriers often register delivery early, and only then lodges a claim and ships a substitute free of charge.",
     [{"carrier": "ParcelPoint"}, {"carrier": "Meridian Post"}]),
    ("If a household on the Family tier chooses to end its subscription, what grace period applies to files that exceed the complimentary {free} allowance?",
     "Files beyond the complimentary {free} allowance remain downloadable for sixty days after the paid period finishes, after which they are removed and any links pointing at them stop resolving.",
     [{"free": "10 GB"}, {"free": "10-gigabyte"}]),
    ("During the thirty-day window after a subscriber requests erasure of the whole account, what can that subscriber still do to reverse the decision?",
     "Throughout the thirty-day window the subscriber may simply sign in and press {button} on the banner, which cancels the erasure and leaves every file and setting exactly as it was before.",
     [{"button": "Keep my account"}, {"button": "Cancel deletion"}]),
    ("Why might a collaborator invited to {folder} still be refused entry even though the owner confirms the invitation went out yesterday?",
     "The refusal nearly always means the invitation is unaccepted or was accepted under another e-mail address, so the collaborator must open the original invitation and accept it with the invited address.",
     [{"folder": "Shared/Family"}, {"folder": "Work/Projects"}]),
    ("Which {CO} tiers unlock password-guarded links and custom expiry dates, and what is the longest lifetime a link may have on the cheapest paid tier?",
     "Password-guarded links and custom expiry dates come with the Pro, Family and Teams tiers, while on the cheapest paid tier, Plus, a link lives for no more than thirty days.",
     [{}, {"CO": "Northwind Cloud Storage"}]),
    ("What exactly happens to the bill when a subscriber moves from Plus up to {plan} halfway through a monthly cycle?",
     "The move to {plan} applies at once and the subscriber pays only the prorated gap between the two tiers for the days left in the cycle; the full {plan} price starts at the next renewal.",
     [{"plan": "Pro"}, {"plan": "Family"}]),
    ("A subscriber notices {file} is stuck at ninety-nine percent in the upload queue; what is the most frequent cause, and what should be tried first?",
     "The most frequent cause is another program holding {file} open and locking it, so the first attempt is to quit that program and then pause and resume syncing from the tray icon.",
     [{"file": "Q3_budget.xlsx"}, {"file": "wedding_video.mp4"}]),
    ("What does the Rewind feature do with documents created after the chosen restore point, for instance items produced on the very morning of a {event}?",
     "Rewind never throws away newer documents: everything created after the chosen point, including the items from that morning, is moved into a separate safekeeping folder before the {event} rollback proceeds.",
     [{"event": "ransomware incident"}, {"event": "mass deletion"}]),
    ("Once Recently Deleted has been emptied by hand, how many days does the support team have to ask for a restore from the internal backups?",
     "After a manual emptying the team has {days} days to file the backup restore request from the admin console; a team lead approves it and the items reappear within {hours} hours.",
     [{"days": "7", "hours": "24"}, {"days": "seven", "hours": "twenty-four"}]),
    ("Can a customer whose {plan} subscription was bought through the Apple App Store have it cancelled by a {CO} agent from the admin console?",
     "No agent can cancel an App Store purchase of {plan} from the admin console; the customer has to turn off renewal in the Apple account subscription settings, and the agent explains where to find them.",
     [{"plan": "Plus"}, {"plan": "Pro"}]),
    ("Which stretch of time counts as the standard refund window for subscription charges, and who must sign off on a refund requested after it closes?",
     "Subscription charges can be refunded within {window} of the payment date; once that window closes, a team lead has to sign off before any agent releases money back to the original card.",
     [{"window": "fourteen days"}, {"window": "14 days"}]),
    ("How are Teams seats that an administrator adds on the {day} of a billing month charged on the workspace's invoice?",
     "Seats are charged pro rata from the very day they are added, so seats added on the {day} appear on the next invoice as a partial charge for the remainder of that month plus the full renewal.",
     [{"day": "tenth"}, {"day": "twentieth"}]),
    ("What should support reply when someone asks whether shared folders owned by another person eat into their own {plan} quota?",
     "Support explains that a folder shared by another person draws only on the owner's quota, so joining it costs the {plan} subscriber none of their own space, however large the folder grows.",
     [{"plan": "Plus"}, {"plan": "Pro"}]),
    ("Why could the desktop client and the web dashboard disagree about storage consumption right after a large clean-up of {folder}?",
     "The totals are recomputed by an hourly quota job, so right after the clean-up of {folder} the two views can disagree until the job runs; a manual recalculation helps if they still differ later.",
     [{"folder": "Camera Uploads"}, {"folder": "Backups/Laptop"}]),
    ("What must never be requested from a customer who is disputing an unfamiliar {amount} debit from {CO}?",
     "The agent must never request the complete card number or the account password; the last four card digits and the invoice number are enough to match the {amount} debit to a payment record.",
     [{"amount": "$9.99"}, {"amount": "$149.99"}]),
    ("When two captured payments of the same amount land in one billing period, which reason code does the refund carry in the admin console?",
     "The later of the two captured payments is refunded with the {code} reason code, which lets the payments team track duplicate captures separately from ordinary refunds requested by customers.",
     [{"code": "DUP"}, {"code": "Duplicate charge"}]),
    ("A customer relocating next week asks to redirect order {order}; under which condition can the shipping address still be altered?",
     "The shipping address of order {order} can be altered only while the order still shows Processing, meaning it has not left the warehouse; after dispatch, the courier's own redirection service is the only route.",
     [{"order": "HL-482913"}, {"order": "HL-730554"}]),
    ("How long does a freshly created {carrier} tracking page typically keep showing label created, and why is that not a cause for alarm?",
     "For roughly the first 24 hours the {carrier} page keeps showing label created, because the status only advances once the courier collects the parcel from the warehouse dock.",
     [{"carrier": "SwiftLane Courier"}, {"carrier": "BlueHarbor Freight"}]),
    ("Which safety behaviour explains the appearance of conflicted copy files when one document is edited on a laptop and a {device2} at the same time?",
     "The client refuses to overwrite an edit it cannot merge, so when the laptop and the {device2} both change the document before syncing, it keeps both versions and names one a conflicted copy.",
     [{"device2": "tablet"}, {"device2": "phone"}]),
    ("How many people can share the Family tier, and how is the six-terabyte pool divided among them?",
     "Up to {people} people can share the Family tier; they draw on one common six-terabyte pool, each keeps a private space, and the usage report shows how much every member consumes.",
     [{"people": "six"}, {"people": "6"}]),
    ("What should an agent avoid promising a student who asks for a reduced price on the {plan} tier?",
     "The agent should not promise any student reduction, because none exists; the honest alternative is to mention that annual billing on {plan} saves roughly two months compared with monthly payments.",
     [{"plan": "Pro"}, {"plan": "Plus"}]),
    ("When is the express delivery surcharge handed back to a buyer of a {device}?",
     "The express delivery surcharge for the {device} is handed back automatically whenever the parcel arrives later than the promised express date, without the buyer needing to file a separate claim.",
     [{"device": "Vault 2 Pro"}, {"device": "Vault Home Hub"}]),
    ("Which section of the web application lets a subscriber obtain an archive of every stored file before closing the {plan} subscription?",
     "The subscriber opens Settings, then Account, then Export data; the service assembles the files into zip archives and e-mails a download link, which suits anyone leaving the {plan} subscription.",
     [{"plan": "Family"}, {"plan": "Teams"}]),
    ("What protective step should precede a Rewind when a subscriber believes malware renamed the files on a {os} computer?",
     "Before any Rewind, the subscriber must disconnect the infected {os} computer from the network, so the malware cannot keep renaming files while the account is being rolled back.",
     [{"os": "Windows 11"}, {"os": "macOS Sonoma"}]),
]


# --------------------------------------------------------------------------------------------
# Units
# --------------------------------------------------------------------------------------------


@dataclass
class _Unit:
    """One unit as it will be written: a JSON record, a CSV row, or raw bytes."""

    file: str
    intent: str = ""
    record: Any = None  # dict for JSON kinds, list[str] for tickets
    problem: str = ""  # planted problem or feature ("" when clean)
    slots: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None  # written verbatim instead of the serialized record
    pii: tuple[str, ...] = ()
    used: bool = False  # already the source of a duplicate, paraphrase or follow-up
    n_words: int = -1  # words of the text, once known (clean units only)


_WORD = re.compile(r"[a-z0-9]+")


def _shingles(text: str, n: int = 5) -> set[str]:
    words = _WORD.findall(text.lower())
    if len(words) < n:
        return {" ".join(words)}
    return {" ".join(words[i:i + n]) for i in range(len(words) - n + 1)}


def jaccard(a: str, b: str) -> float:
    """Word 5-gram Jaccard similarity of two texts (lower-cased alphanumeric words)."""
    sa, sb = _shingles(a), _shingles(b)
    return len(sa & sb) / len(sa | sb) if sa or sb else 1.0


def _norm(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


def luhn_ok(digits: str) -> bool:
    """True when ``digits`` (digits only) passes the Luhn check."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _luhn_complete(prefix: str) -> str:
    for check in "0123456789":
        if luhn_ok(prefix + check):
            return prefix + check
    raise AssertionError("unreachable")


class _Gen:
    """All the state of one generation: the RNG, the similarity index and the id pools."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.index: dict[str, tuple[dict[str, list[int]], list[int]]] = {}
        self.first_user: set[str] = set()
        self.used_ids: set[str] = set()

    # ---- slots and composition ------------------------------------------------------------

    def slots(self) -> dict[str, str]:
        r = self.rng
        plan, storage, monthly, yearly = r.choice(PAID_PLANS)
        up_plan, up_storage, up_monthly, _ = r.choice(PAID_PLANS[1:])
        device = r.choice(DEVICES)
        carrier = r.choice(sorted(CARRIERS))
        amount = r.choice([monthly, yearly, monthly * 2, DEVICE_PRICES[device], round(monthly * 3, 2)])
        month = r.randrange(len(MONTHS))
        day = r.randrange(1, 29)
        date = r.choice([f"{MONTHS[month]} {day}", f"2026-{month + 1:02d}-{day:02d}", f"{day} {MONTHS[month]}"])
        return {
            "CO": CO, "plan": plan, "storage": storage, "price": f"${monthly:.2f}", "yearly": f"${yearly:.2f}",
            "amount": f"USD {amount:.2f}" if r.random() < 0.1 else f"${amount:.2f}",
            "up_plan": up_plan, "up_storage": up_storage, "up_price": f"${up_monthly:.2f}", "date": date, "invoice": f"INV-2026-{r.randrange(10000, 100000)}", "order": f"HL-{r.randrange(100000, 1000000)}",
            "tracking": f"{CARRIERS[carrier]}{r.randrange(10**9, 10**10)}", "carrier": carrier,
            "device": device, "other_device": r.choice([d for d in DEVICES if d != device]), "os": r.choice(OSES),
            "app": r.choice(APPS), "code": r.choice(ERROR_CODES), "file": r.choice(FILES), "folder": r.choice(FOLDERS),
            "last4": f"{r.randrange(10000):04d}", "days": str(r.choice([2, 3, 4, 5, 6, 8, 10, 12])),
            "n_files": str(r.choice([40, 120, 350, 800, 1500, 2300, 6000])), "gb": str(r.randrange(60, 480)),
            "link_days": r.choice(["7", "14", "30"]), "browser": r.choice(BROWSERS),
        }

    def scenario(self, intent: str, slots: dict[str, str]) -> dict[str, Any]:
        return INTENTS[intent]["scenarios"][int(slots["scenario"])]

    def user_text(self, intent: str, slots: dict[str, str]) -> str:
        r, spec = self.rng, INTENTS[intent]
        parts = [r.choice(self.scenario(intent, slots)["user"])]
        if r.random() < 0.5:
            parts.append(r.choice(spec["details"]))
        if r.random() < 0.85:
            parts.append(r.choice(spec["asks"]))
        if r.random() < 0.5:
            parts.insert(0, r.choice(USER_OPENERS))
        if r.random() < 0.3:
            parts.append(r.choice(USER_CLOSERS))
        return " ".join(parts).format_map(slots)

    def agent_text(self, intent: str, slots: dict[str, str]) -> str:
        r, spec = self.rng, INTENTS[intent]
        sc = self.scenario(intent, slots)
        parts = [r.choice(AGENT_GREETINGS)]
        if r.random() < 0.5:
            parts.append(r.choice(AGENT_EMPATHY))
        parts += [r.choice(sc["diag"]), r.choice(sc["action"])]
        if r.random() < 0.6:
            parts.append(r.choice(spec["extras"]))
        parts.append(r.choice(AGENT_CLOSINGS))
        return " ".join(parts).format_map(slots)

    def followups(self, intent: str, slots: dict[str, str], k: int) -> list[tuple[str, str]]:
        pairs = self.rng.sample(INTENTS[intent]["followups"], k)
        return [(u.format_map(slots), a.format_map(slots)) for u, a in pairs]

    def kb_answer(self, intent: str, slots: dict[str, str]) -> tuple[str, str]:
        r, spec = self.rng, INTENTS[intent]
        topic = r.choice(spec["kb_topics"]).format_map(slots)
        question = r.choice(KB_QUESTION_FORMS).format(topic=topic)
        steps = [r.choice(variants) for variants in spec["kb_steps"] if r.random() < 0.8]
        if len(steps) < 3:
            steps = [variants[0] for variants in spec["kb_steps"]][:3]
        lines = [r.choice(KB_INTROS), ""] + [f"{i}. {s}" for i, s in enumerate(steps, 1)]
        if r.random() < 0.8:
            lines += ["", f"Note: {r.choice(spec['kb_notes'])}"]
        return question, "\n".join(lines).format_map(slots)

    def summary(self, intent: str, slots: dict[str, str]) -> str:
        sc = self.scenario(intent, slots)
        status = self.rng.choice(["Resolved.", "Status: resolved.", "Status: waiting on customer.",
                                  "Escalated to tier 2.", "Closed after confirmation."])
        return f"The customer {sc['issue']}. The agent {sc['done']}. {status}".format_map(slots)

    def bad_reply(self, intent: str) -> str:
        r = self.rng
        opener, bad = r.choice(GENERIC_BAD_OPENERS), r.choice(INTENTS[intent]["bad"])
        if opener.endswith(","):
            bad = bad[0].lower() + bad[1:]
        return " ".join(p for p in (opener, bad, r.choice(GENERIC_BAD_CLOSERS)) if p)

    # ---- uniqueness ----------------------------------------------------------------------

    def accept(self, bucket: str, first_user: str, text: str) -> bool:
        """Admit a unit only if it is far from every earlier admitted unit of its bucket (intent)."""
        key = _norm(first_user)
        if key in self.first_user:
            return False
        sh = _shingles(text)
        postings, sizes = self.index.setdefault(bucket, ({}, []))
        overlap = Counter(chain.from_iterable(postings.get(x, ()) for x in sh))
        for uid, inter in overlap.items():
            if inter / (len(sh) + sizes[uid] - inter) >= MAX_CLEAN_JACCARD:
                return False
        self.first_user.add(key)
        uid = len(sizes)
        sizes.append(len(sh))
        for x in sh:
            postings.setdefault(x, []).append(uid)
        return True

    def new_id(self, make: Any) -> str:
        while True:
            value = make()
            if value not in self.used_ids:
                self.used_ids.add(value)
                return value


# --------------------------------------------------------------------------------------------
# Text of a unit, and conversions between formats
# --------------------------------------------------------------------------------------------

def _conv_messages(pairs: list[tuple[str, str]], system: str | None) -> list[dict[str, Any]]:
    msgs: list[dict[str, Any]] = [{"role": "system", "content": system}] if system else []
    for u, a in pairs:
        msgs.append({"role": "user", "content": u})
        msgs.append({"role": "assistant", "content": a})
    return msgs


def _to_sharegpt(messages: list[dict[str, Any]]) -> list[dict[str, str]]:
    role = {"system": "system", "user": "human", "assistant": "gpt"}
    return [{"from": role[m["role"]], "value": m["content"]} for m in messages]


def _from_sharegpt(conv: list[dict[str, str]]) -> list[dict[str, Any]]:
    role = {"system": "system", "human": "user", "gpt": "assistant"}
    return [{"role": role[m["from"]], "content": m["value"]} for m in conv]


def _messages_of(u: _Unit) -> list[dict[str, Any]]:
    """The conversation of a clean unit, as OpenAI messages (what a converted copy contains)."""
    rec = u.record
    if u.file == CHAT:
        return [dict(m) for m in rec["messages"]]
    if u.file == SHAREGPT:
        return _from_sharegpt(rec["conversations"])
    if u.file == ALPACA:
        prompt = rec["instruction"] if not rec["input"] else f"{rec['instruction']}\n\n{rec['input']}"
        return [{"role": "user", "content": prompt}, {"role": "assistant", "content": rec["output"]}]
    if u.file == TICKETS:
        return [{"role": "user", "content": rec[4]}, {"role": "assistant", "content": rec[5]}]
    if u.file == PREFERENCES:
        return [{"role": "user", "content": rec["prompt"]}, {"role": "assistant", "content": rec["chosen"]}]
    raise ValueError(u.file)


def _first_user_of(u: _Unit) -> str:
    if u.file == ALPACA:
        return u.record["instruction"] + "\n" + u.record["input"]
    return next((m.get("content") or "" for m in _messages_of(u) if m["role"] == "user"), "")


def _text_of(u: _Unit) -> str:
    """The non-system text of a unit, what near-duplicate detection compares."""
    if u.file == PREFERENCES:
        return " ".join([u.record["prompt"], u.record["chosen"], u.record["rejected"]])
    return " ".join(m.get("content") or "" for m in _messages_of(u) if m["role"] != "system")


# --------------------------------------------------------------------------------------------
# Clean units
# --------------------------------------------------------------------------------------------

def _ticket_id(g: _Gen, lo: int, hi: int) -> str:
    return g.new_id(lambda: f"T-{g.rng.randrange(lo, hi)}")


def _base(g: _Gen, file: str, *, intent: str | None = None, turns: int | None = None,
          system: bool | None = None, alpaca_kind: str | None = None, mutate: Any = None) -> _Unit:
    """A fresh unit of ``file``, changed by ``mutate`` (a planted problem), passing the uniqueness check."""
    r = g.rng
    for _ in range(200):
        it = intent or r.choice(INTENT_NAMES)
        slots = g.slots()
        slots["scenario"] = str(r.randrange(len(INTENTS[it]["scenarios"])))
        u = _Unit(file=file, intent=it, slots=slots)
        user = g.user_text(it, slots)
        if file in (CHAT, SHAREGPT):
            n = turns or r.choices([1, 2, 3], weights=[60, 28, 12])[0]
            pairs = [(user, g.agent_text(it, slots))] + g.followups(it, slots, n - 1)
            use_system = system if system is not None else r.random() < (0.35 if file == CHAT else 0.2)
            msgs = _conv_messages(pairs, r.choice(SYSTEM_PROMPTS) if use_system else None)
            if file == CHAT:
                u.record = {"messages": msgs}
            else:
                u.record = {"id": g.new_id(lambda: "".join(r.choices(string.ascii_letters + string.digits, k=7))),
                            "conversations": _to_sharegpt(msgs)}
        elif file == ALPACA:
            ak = alpaca_kind or r.choices(["kb", "reply", "summary", "classify"], weights=[45, 30, 15, 10])[0]
            if ak == "kb":
                question, answer = g.kb_answer(it, slots)
                u.record = {"instruction": question, "input": "", "output": answer}
                user = question
            elif ak == "reply":
                u.record = {"instruction": r.choice(REPLY_INSTRUCTIONS), "input": user,
                            "output": g.agent_text(it, slots)}
            elif ak == "summary":
                convo = f"Customer: {user}\nAgent: {g.agent_text(it, slots)}"
                u.record = {"instruction": r.choice(SUMMARY_INSTRUCTIONS), "input": convo,
                            "output": g.summary(it, slots)}
            else:
                reason = g.scenario(it, slots)["issue"].format_map(slots)
                u.record = {"instruction": r.choice(CLASSIFY_INSTRUCTIONS), "input": user,
                            "output": f"Category: {INTENT_LABELS[it]}. The customer {reason}."}
        elif file == TICKETS:
            msg = user
            if r.random() < 0.04:  # e-mail style, with embedded newlines
                msg = f"Hello,\n\n{user}\n\nRegards"
            created = dt.datetime(2026, 1, 5, 8, 0) + dt.timedelta(minutes=r.randrange(0, 60 * 24 * 240))
            csat = "" if r.random() < 0.12 else str(r.choices([1, 2, 3, 4, 5], weights=[6, 6, 12, 30, 46])[0])
            u.record = [_ticket_id(g, 20000, 30000), created.strftime("%Y-%m-%dT%H:%M:%SZ"), r.choice(CHANNELS),
                        CATEGORIES[it], msg, g.agent_text(it, slots), csat]
        elif file == PREFERENCES:
            u.record = {"prompt": user, "chosen": g.agent_text(it, slots), "rejected": g.bad_reply(it)}
        else:
            raise ValueError(file)
        if mutate is not None:
            mutate(u)
        if g.accept(u.intent, _first_user_of(u), _text_of(u)):
            return u
    raise RuntimeError(f"could not generate a distinct {file} unit; the templates lack variety")


# --------------------------------------------------------------------------------------------
# Planted problems
# --------------------------------------------------------------------------------------------

def _first_user_index(msgs: list[dict[str, Any]]) -> int:
    return next(i for i, m in enumerate(msgs) if m["role"] == "user")


def _last_assistant_index(msgs: list[dict[str, Any]]) -> int:
    return max(i for i, m in enumerate(msgs) if m["role"] == "assistant")


def _set_messages(u: _Unit, msgs: list[dict[str, Any]]) -> None:
    if u.file == CHAT:
        u.record["messages"] = msgs
    else:
        u.record["conversations"] = _to_sharegpt(msgs)


def _name(g: _Gen) -> str:
    return f"{g.rng.choice(FIRST_NAMES)} {g.rng.choice(LAST_NAMES)}"


def _email(g: _Gen, name: str | None = None) -> str:
    def ascii_(s: str) -> str:
        return unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode().lower().replace("-", "")

    first, last = (name or _name(g)).split(" ", 1)
    local = g.rng.choice([f"{ascii_(first)}.{ascii_(last)}", f"{ascii_(first)[0]}{ascii_(last)}",
                          f"{ascii_(first)}{g.rng.randrange(10, 99)}"])
    return f"{local}@{g.rng.choice(EMAIL_DOMAINS)}"


def _phone(g: _Gen) -> str:
    r = g.rng
    area = r.choice([212, 415, 312, 503, 617, 720])
    tail = r.randrange(100, 200)
    return r.choice([
        f"({area}) 555-0{tail}", f"{area}-555-0{tail}", f"+1 {area} 555 0{tail}",
        f"+44 20 7946 0{r.randrange(100, 1000)}", f"020 7946 0{r.randrange(100, 1000)}",
        f"+49 30 {r.randrange(1000, 10000)} {r.randrange(1000, 10000)}", f"+33 1 {r.randrange(10, 100)} {r.randrange(10, 100)} {r.randrange(10, 100)} {r.randrange(10, 100)}",
        f"+61 2 5550 {r.randrange(1000, 10000)}",
    ])


def _card(g: _Gen, first: bool) -> str:
    r = g.rng
    if first:
        digits = "4111111111111111"
    else:
        kind = r.choice(["visa", "mc", "amex"])
        if kind == "visa":
            digits = _luhn_complete("4" + "".join(r.choices(string.digits, k=14)))
        elif kind == "mc":
            digits = _luhn_complete("5" + r.choice("12345") + "".join(r.choices(string.digits, k=13)))
        else:
            digits = _luhn_complete(r.choice(["34", "37"]) + "".join(r.choices(string.digits, k=12)))
    if len(digits) == 15:
        return r.choice([f"{digits[:4]} {digits[4:10]} {digits[10:]}", digits])
    groups = [digits[i:i + 4] for i in range(0, 16, 4)]
    return r.choice([" ".join(groups), "-".join(groups), digits])


def _address(g: _Gen) -> str:
    r = g.rng
    street = f"{r.choice(STREETS)} {r.choice(STREET_KINDS)}"
    if r.random() < 0.7:
        city, state, zip_ = r.choice(US_CITIES)
        return f"{r.randrange(12, 9800)} {street}, {city}, {state} {zip_}"
    city, postcode = r.choice(UK_CITIES)
    return f"Flat {r.randrange(1, 30)}, {r.randrange(2, 220)} {street}, {city} {postcode}"


def _pii_sentences(g: _Gen, types: Sequence[str], first_card: bool) -> tuple[list[str], list[str]]:
    """Sentences carrying PII: (for the customer's message, for the agent's reply)."""
    r = g.rng
    user: list[str] = []
    agent: list[str] = []
    customer = _name(g)
    for t in types:
        if t == "name":
            if r.random() < 0.5:
                user.append(r.choice([f"This is {customer}, the account holder.", f"My name is {customer}.",
                                      f"Regards, {customer}"]))
            else:
                agent_name = r.choice(AGENT_NAMES)
                agent.append(r.choice([f"My name is {agent_name} and I'll be looking after this ticket.",
                                       f"Best regards, {agent_name}, {CO} Support"]))
        elif t == "email":
            e = _email(g, customer)
            user.append(r.choice([f"You can reach me at {e}.", f"My account email is {e}, in case you need it.",
                                  f"Please reply to {e} rather than the address on file."]))
        elif t == "phone":
            p = _phone(g)
            user.append(r.choice([f"My phone number is {p}.", f"Call me on {p} if that's easier.",
                                  f"The number on the account is {p}."]))
        elif t == "card":
            c = _card(g, first_card)
            exp = f"{r.randrange(1, 13):02d}/{r.randrange(27, 31)}"
            user.append(r.choice([f"The card I used is {c}, expiry {exp}.",
                                  f"I paid with {c} if that helps you find it.",
                                  f"Please charge the difference to {c} instead."]))
        elif t == "address":
            a = _address(g)
            user.append(r.choice([f"Please ship it to {a}.", f"My billing address is {a}.",
                                  f"Everything gets delivered to {a}."]))
    return user, agent


def _plant_pii(g: _Gen, u: _Unit, types: Sequence[str], first_card: bool) -> None:
    user_s, agent_s = _pii_sentences(g, types, first_card)
    add_u = " ".join(sorted(user_s, key=lambda x: x.startswith("Regards")))

    def join(text: str, extra: str) -> str:
        return f"{text} {extra}" if extra else text

    def join_a(text: str, extra: str = " ".join(agent_s)) -> str:
        if not extra:
            return text
        return f"{text} {extra}" if extra.startswith("Best regards") else f"{extra} {text}"

    if u.file in (CHAT, SHAREGPT):
        msgs = _messages_of(u)
        i, j = _first_user_index(msgs), _last_assistant_index(msgs)
        msgs[i]["content"] = join(msgs[i]["content"], add_u)
        msgs[j]["content"] = join_a(msgs[j]["content"])
        _set_messages(u, msgs)
    elif u.file == ALPACA:
        u.record["input"] = join(u.record["input"], add_u)
        u.record["output"] = join_a(u.record["output"])
    elif u.file == TICKETS:
        u.record[4] = join(u.record[4], add_u)
        u.record[5] = join_a(u.record[5])
    elif u.file == PREFERENCES:
        u.record["prompt"] = join(u.record["prompt"], add_u)
        u.record["chosen"] = join_a(u.record["chosen"])
    u.pii = tuple(types)


def _secret(g: _Gen, kind: str, first: bool) -> tuple[str, str]:
    """(customer sentences carrying a secret, agent sentences about it)."""
    r = g.rng
    alnum = string.ascii_letters + string.digits
    upper = string.ascii_uppercase + string.digits
    if kind == "openai":
        if r.random() < 0.5:
            key = "sk-" + "".join(r.choices(alnum, k=48))
        else:
            key = "sk-proj-" + "".join(r.choices(alnum + "_-", k=64))
        user = (f"The Smart Search add-on keeps rejecting my OpenAI key. I pasted it as OPENAI_API_KEY={key} "
                "in the settings. Is the format wrong?")
        fix = ("The add-on expects the key in the Integrations panel rather than as an environment line, so please "
               "paste it there once you have a new one.")
    elif kind == "aws":
        if first:
            key_id, secret = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
        else:
            key_id = "AKIA" + "".join(r.choices(upper, k=16))
            secret = "".join(r.choices(alnum + "/+", k=40))
        user = (f"Cloud mirror from my Vault to my own S3 bucket fails with AccessDenied. Here is the config:\n"
                f"aws_access_key_id = {key_id}\naws_secret_access_key = {secret}\nregion = eu-west-1")
        fix = ("AccessDenied from the mirror usually means the IAM user is missing s3:PutObject on the bucket, "
               "so check that policy when you set up the new key.")
    elif kind == "github":
        token = "ghp_" + "".join(r.choices(alnum, k=36))
        user = (f"The GitHub backup integration stopped working yesterday. The personal access token I configured "
                f"is {token}, and it still has repo scope.")
        fix = ("The integration needs the token to include read:org as well as repo, which is the most common reason "
               "it stops after an organisation change.")
    elif kind == "postgres":
        if first:
            url = "postgres://admin:S3cr3t!@db.internal:5432/app"
        else:
            url = "postgresql://svc_backup:Hx9!pLm2q@10.0.4.12:5432/nw_prod"
        user = (f"Our self-hosted Teams connector fails on startup with 'could not connect to server' using "
                f"database_url={url}. What's wrong?")
        fix = "The connector must reach the database from the connector host, so please confirm port 5432 is open from there."
    else:  # plain password
        pw = r.choice(["Winter2026!", "Tr0ub4dor&3", "hunter2hunter2", "N0rthw1nd#88"])
        user = f"I can't sign in. My username is my email and my password is {pw} so can you check why it fails?"
        fix = "I can't check passwords, but the reset link I've just sent will let you set a new one in a minute."
    warning = r.choice([
        "For your security, please never share keys or passwords in a support message; I'd recommend revoking that one right away and creating a new one.",
        "One important thing first: that credential is now exposed in this conversation, so please rotate it before anything else.",
        "Before we go on, please treat the secret you pasted as compromised and replace it; we never need it to troubleshoot.",
    ])
    return user, f"{warning} {fix}"


def _log(g: _Gen, min_chars: int) -> str:
    r = g.rng
    t = dt.datetime(2026, 3, r.randrange(1, 28), r.randrange(0, 24), r.randrange(0, 60))
    pid = r.randrange(1000, 9999)
    lines: list[str] = []
    total = 0
    i = 0
    while total < min_chars:
        t += dt.timedelta(milliseconds=r.randrange(5, 4000))
        stamp = t.strftime("%Y-%m-%dT%H:%M:%S") + f".{t.microsecond // 1000:03d}Z"
        i += 1
        msg = r.choice([
            f"INFO  sync[{pid}]: uploaded chunk {i}/{i + r.randrange(50, 900)} of {r.choice(FILES)} ({r.randrange(64, 4096)} KB)",
            f"DEBUG sync[{pid}]: scan {r.choice(FOLDERS)}: {r.randrange(1, 900)} entries, {r.randrange(0, 20)} changed",
            f"WARN  net[{pid}]: request id={r.getrandbits(48):012x} got 429, retrying in {r.randrange(1, 30)}s",
            f"ERROR sync[{pid}]: {r.choice(ERROR_CODES)} hash mismatch for block {r.getrandbits(64):016x}; re-reading",
            f"INFO  auth[{pid}]: token refresh ok, expires_in={r.randrange(300, 3600)}",
            f"DEBUG db[{pid}]: index checkpoint {r.randrange(1, 99999)} rows in {r.randrange(1, 900)} ms",
        ])
        line = f"{stamp} {msg}"
        lines.append(line)
        total += len(line) + 1
    return "\n".join(lines)


MOJIBAKE = [
    "I donâ€™t understand why my files arenâ€™t showing up.",
    "Iâ€™m working from the cafÃ© near the office today.",
    "The error message says â€œupload failedâ€\x9d every single time.",
]
SPECIAL_TOKENS = ["<|im_end|>", "<|endoftext|>", "<|im_start|>assistant"]


def _plant(g: _Gen, u: _Unit, problem: str, n: int, ctx: dict[str, Any]) -> None:
    """Turn clean unit ``u`` into a unit with ``problem`` (the n-th of its kind in this file)."""
    r = g.rng
    u.problem = problem
    if problem == "role_order":
        msgs = _messages_of(u)
        system = [m for m in msgs if m["role"] == "system"]
        rest = [m for m in msgs if m["role"] != "system"]
        variant = n % 3
        if variant == 0:  # assistant speaks first
            rest.insert(0, {"role": "assistant", "content": r.choice(["Hi! How can I help you today?",
                                                                      f"Welcome to {CO} Support. What can I do for you?"])})
        elif variant == 1:  # two user turns, then nothing
            rest = [rest[0], {"role": "user", "content": r.choice(["Hello? Is anyone there?", "Any update on this?",
                                                                   "Sorry, forgot to add: it's urgent."])}]
        else:  # two assistant turns in a row
            a = rest[1]["content"]
            cut = a.find(". ") + 1
            rest = [rest[0], {"role": "assistant", "content": a[:cut]},
                    {"role": "assistant", "content": a[cut:].strip()}]
        _set_messages(u, system + rest)
    elif problem == "empty_answer":
        blank = ["", " ", "\n", "  \n  "][n % 4]
        if u.file in (CHAT, SHAREGPT):
            msgs = _messages_of(u)
            msgs[_last_assistant_index(msgs)]["content"] = blank
            _set_messages(u, msgs)
        elif u.file == ALPACA:
            u.record["output"] = blank
        elif u.file == TICKETS:
            u.record[5] = blank
    elif problem == "missing_final_assistant":
        msgs = _messages_of(u)
        if sum(m["role"] == "user" for m in msgs) < 2:
            msgs.append({"role": "user", "content": r.choice(INTENTS[u.intent]["followups"])[0].format_map(u.slots)})
        else:
            msgs = msgs[:_last_assistant_index(msgs)]
        _set_messages(u, msgs)
    elif problem == "pii":
        _plant_pii(g, u, ctx["pii_types"][n], first_card=ctx["first_card"][n])
    elif problem == "secret":
        user, agent = _secret(g, ctx["secret_kinds"][n], first=ctx["secret_first"][n])
        if u.file in (CHAT, SHAREGPT):
            msgs = _messages_of(u)
            i, j = _first_user_index(msgs), _last_assistant_index(msgs)
            msgs[i]["content"] = f"{msgs[i]['content']} {user}"
            msgs[j]["content"] = f"{agent} {msgs[j]['content']}"
            _set_messages(u, msgs)
        elif u.file == ALPACA:  # a "reply" unit: the customer message is the input
            u.record["input"] = f"{u.record['input']} {user}"
            u.record["output"] = f"{agent} {u.record['output']}"
        elif u.file == TICKETS:
            u.record[4] = f"{u.record[4]} {user}"
            u.record[5] = f"{agent} {u.record[5]}"
    elif problem == "overlong":
        log = _log(g, OVERLONG_CHARS + r.randrange(2_000, 20_000))
        answer = (f"Here is the complete diagnostics log from your {r.choice(DEVICES)} so you can see where the sync "
                  "stops:\n\n"
                  f"{log}\n\nAs you can see, the hash mismatches repeat; please run Rebuild sync index.")
        if u.file in (CHAT, SHAREGPT):
            msgs = _messages_of(u)
            msgs[_last_assistant_index(msgs)]["content"] = answer
            _set_messages(u, msgs)
        elif u.file == ALPACA:
            u.record["output"] = answer
    elif problem == "mojibake":
        s = MOJIBAKE[(ctx["offset"]["mojibake"] + n) % len(MOJIBAKE)]
        if u.file == TICKETS:
            u.record[4] = f"{s} {u.record[4]}"
        else:
            msgs = _messages_of(u)
            i = _first_user_index(msgs)
            msgs[i]["content"] = f"{s} {msgs[i]['content']}"
            _set_messages(u, msgs)
    elif problem == "special_tokens":
        tok = SPECIAL_TOKENS[(ctx["offset"]["special_tokens"] + n) % len(SPECIAL_TOKENS)]
        msgs = _messages_of(u)
        j = _last_assistant_index(msgs)
        msgs[j]["content"] = f"{msgs[j]['content']}{tok}" if n % 2 == 0 else f"{msgs[j]['content']}\n{tok}\nThanks!"
        _set_messages(u, msgs)
    elif problem == "refusal":
        msgs = _messages_of(u)
        msgs[_last_assistant_index(msgs)]["content"] = REFUSALS[(ctx["offset"]["refusal"] + n) % len(REFUSALS)]
        _set_messages(u, msgs)
    else:
        raise ValueError(problem)


def _tools_unit(g: _Gen, n: int) -> _Unit:
    r = g.rng
    tools = [
        {"type": "function", "function": {
            "name": "lookup_order", "description": "Look up a Vault hardware order by its order number.",
            "parameters": {"type": "object", "properties": {"order_id": {"type": "string", "description": "e.g. HL-482913"}},
                           "required": ["order_id"]}}},
        {"type": "function", "function": {
            "name": "get_subscription", "description": "Get the plan, billing period and renewal date of an account.",
            "parameters": {"type": "object", "properties": {"account_id": {"type": "string"}}, "required": ["account_id"]}}},
        {"type": "function", "function": {
            "name": "check_sync_status", "description": "Get the sync state and last error of a device.",
            "parameters": {"type": "object", "properties": {"device_id": {"type": "string"},
                                                            "include_errors": {"type": "boolean"}},
                           "required": ["device_id"]}}},
    ]
    system = (f"You are {CO}'s support assistant. Use the tools to look up orders, subscriptions and sync status "
              "before answering.")
    for _ in range(200):
        s = g.slots()
        call_id = lambda: "call_" + "".join(r.choices(string.ascii_letters + string.digits, k=24))  # noqa: E731
        calls: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
        kind = n % 3
        if kind == 0:
            intent = "shipping"
            user = r.choice([f"Where is my order {s['order']}?", f"Can you check the status of {s['order']} please?",
                             f"Has my {s['device']} ({s['order']}) shipped yet?"])
            status = r.choice(["in_transit", "processing", "delivered"])
            result = {"order_id": s["order"], "status": status, "carrier": s["carrier"], "tracking": s["tracking"],
                      "eta": f"2026-{r.randrange(1, 11):02d}-{r.randrange(1, 29):02d}"}
            calls.append(("lookup_order", {"order_id": s["order"]}, result))
            final = {"in_transit": f"Your order {s['order']} is on its way with {s['carrier']} (tracking {s['tracking']}) "
                                   f"and should arrive by {result['eta']}.",
                     "processing": f"Order {s['order']} is still being prepared in our warehouse; it should ship within a day, and the estimated delivery is {result['eta']}.",
                     "delivered": f"{s['carrier']} shows order {s['order']} as delivered. If you can't find it, wait until tomorrow and let me know, and I'll open a claim."}[status]
        elif kind == 1:
            intent = "plan"
            acct = f"acc_{r.randrange(10**7, 10**8)}"
            user = r.choice([f"When does my plan renew? My account id is {acct}.", f"Which plan am I on? ({acct})",
                             f"Am I billed monthly or yearly? Account {acct}."])
            period = r.choice(["monthly", "yearly"])
            result = {"account_id": acct, "plan": s["plan"], "billing_period": period,
                      "renews_on": f"2026-{r.randrange(1, 11):02d}-{r.randrange(1, 29):02d}"}
            calls.append(("get_subscription", {"account_id": acct}, result))
            final = (f"You're on the {s['plan']} plan, billed {period}, and the next renewal is on "
                     f"{result['renews_on']}.")
        else:
            intent = "sync"
            dev = f"dev-{r.getrandbits(32):08x}"
            user = r.choice([f"My laptop ({dev}) stopped syncing. Can you check?",
                             f"Device {dev} shows an error, what's wrong?",
                             f"Why is {dev} not uploading anything?"])
            last = f"2026-{r.randrange(1, 11):02d}-{r.randrange(1, 29):02d}T{r.randrange(24):02d}:{r.randrange(60):02d}:00Z"
            result = {"device_id": dev, "state": "error", "last_error": s["code"], "last_sync": last}
            calls.append(("check_sync_status", {"device_id": dev, "include_errors": True}, result))
            final = (f"That device last synced at {result['last_sync']} and is reporting {s['code']}. Signing out of "
                     "the desktop client and back in should clear it.")
            if n == 2:  # one conversation with two parallel calls
                acct = f"acc_{r.randrange(10**7, 10**8)}"
                sub = {"account_id": acct, "plan": s["plan"], "billing_period": "monthly", "renews_on": "2026-06-01"}
                calls.append(("get_subscription", {"account_id": acct}, sub))
                user = f"My laptop ({dev}) stopped syncing and I'm on account {acct}. Is my plan still active?"
                final += f" Your {s['plan']} plan is active and renews on 2026-06-01, so billing isn't the cause."
        ids = [g.new_id(call_id) for _ in calls]
        msgs: list[dict[str, Any]] = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        msgs.append({"role": "assistant", "tool_calls": [
            {"id": cid, "type": "function", "function": {"name": name, "arguments": json.dumps(args)}}
            for cid, (name, args, _) in zip(ids, calls)]})
        for cid, (_, _, res) in zip(ids, calls):
            msgs.append({"role": "tool", "tool_call_id": cid, "content": json.dumps(res)})
        msgs.append({"role": "assistant", "content": final})
        u = _Unit(file=CHAT, intent=intent, record={"messages": msgs, "tools": tools}, problem="tools", slots=s)
        if g.accept("tools", user, _text_of(u)):
            return u
    raise RuntimeError("could not generate a distinct tool-calling unit")


# --------------------------------------------------------------------------------------------
# Duplicates, paraphrases, follow-ups, contamination
# --------------------------------------------------------------------------------------------

SYNONYMS = [
    ("Thanks", "Thank you"), ("Hi", "Hello"), ("can't", "cannot"), ("please", "kindly"), ("I'm", "I am"),
    ("don't", "do not"), ("help", "assist"), ("right away", "immediately"), ("usually", "normally"),
    ("Please", "Kindly"), ("I've", "I have"), ("It's", "It is"), ("you'll", "you will"), ("won't", "will not"),
    ("check", "verify"), ("sorted", "fixed"), ("quickly", "fast"),
]


def _paraphrase_text(g: _Gen, text: str, word_edits: int) -> str:
    """A few word substitutions (or a new first word) plus a punctuation or case change."""
    r = g.rng
    out = text
    candidates = [(a, b) for a, b in SYNONYMS if re.search(rf"\b{re.escape(a)}\b", out)]
    r.shuffle(candidates)
    for a, b in candidates[:word_edits]:
        out = re.sub(rf"\b{re.escape(a)}\b", b, out, count=1)
    if len(candidates) < word_edits:
        out = r.choice(["Hey. ", "Hi. ", "Hello again. ", "Quick one. "]) + out
    surface = r.randrange(4)
    if surface == 0:
        return out.lower()
    if surface == 1 and ", " in out:
        return out.replace(", ", " ", 1)
    if surface == 2:
        return out[0].swapcase() + out[1:]
    stripped = out.rstrip(".!?")
    return stripped + r.choice([p for p in ("!!", "...", "", "?") if stripped + p != out])


def _convert(src: _Unit, dest_file: str) -> _Unit:
    """A copy of ``src``'s content in ``dest_file``'s format."""
    u = _Unit(file=dest_file, intent=src.intent, slots=dict(src.slots))
    if src.file == dest_file:
        u.record = copy.deepcopy(src.record)
        return u
    msgs = _messages_of(src)
    if dest_file == CHAT:
        u.record = {"messages": msgs}
    elif dest_file == SHAREGPT:
        u.record = {"id": "", "conversations": _to_sharegpt(msgs)}
    else:
        raise ValueError(f"no conversion {src.file} -> {dest_file}")
    return u


def _new_identity(g: _Gen, u: _Unit) -> None:
    """Give a copy its own conversation id, ticket id or timestamp, as a separate real-world unit."""
    r = g.rng
    if u.file == CHAT:
        u.record.pop("ticket", None)
        if r.random() < 0.5:
            u.record = {"messages": u.record["messages"], "ticket": _ticket_id(g, 10000, 20000)}
    elif u.file == SHAREGPT:
        u.record = {"id": g.new_id(lambda: "".join(r.choices(string.ascii_letters + string.digits, k=7))),
                    "conversations": u.record["conversations"]}
    elif u.file == TICKETS:
        u.record[0] = _ticket_id(g, 20000, 30000)
        created = dt.datetime.strptime(u.record[1], "%Y-%m-%dT%H:%M:%SZ") + dt.timedelta(days=r.randrange(3, 40))
        u.record[1] = created.strftime("%Y-%m-%dT%H:%M:%SZ")


def _paraphrase(g: _Gen, src: _Unit, dest_file: str) -> _Unit | None:
    """A copy of ``src`` in ``dest_file`` with small edits, still near it (or None if the edits went too far)."""
    src_text = _text_of(src)
    for attempt in range(12):
        u = _convert(src, dest_file)
        if dest_file in (CHAT, SHAREGPT):
            msgs = _messages_of(u)
            i, j = _first_user_index(msgs), _last_assistant_index(msgs)
            msgs[i]["content"] = _paraphrase_text(g, msgs[i]["content"], 1 + attempt % 2)
            if g.rng.random() < 0.5:
                msgs[j]["content"] = _paraphrase_text(g, msgs[j]["content"], 1)
            _set_messages(u, msgs)
        elif dest_file == ALPACA:
            u.record["instruction"] = _paraphrase_text(g, u.record["instruction"], 1)
            u.record["output"] = _paraphrase_text(g, u.record["output"], 1 + attempt % 2)
        elif dest_file == TICKETS:
            u.record[4] = _paraphrase_text(g, u.record[4], 1 + attempt % 2)
            u.record[5] = _paraphrase_text(g, u.record[5], 1)
        elif dest_file == PREFERENCES:
            u.record["prompt"] = _paraphrase_text(g, u.record["prompt"], 1 + attempt % 2)
            u.record["chosen"] = _paraphrase_text(g, u.record["chosen"], 1)
        text = _text_of(u)
        if _norm(text) != _norm(src_text) and jaccard(text, src_text) >= MIN_NEAR_JACCARD:
            return u
    return None


def _followup_unit(g: _Gen, src: _Unit) -> _Unit:
    """A later exchange about the same ticket as ``src``."""
    r = g.rng
    s = src.slots
    spec = INTENTS[src.intent]
    for _ in range(200):
        (fu, fa), = g.followups(src.intent, s, 1)
        ref = r.choice(["Following up on my earlier ticket.", "Writing again about the same issue.",
                        "Me again, about my previous request.", "Re: my ticket from last week.", "Hi, quick follow-up.",
                        "Hello again.", "One more question on this ticket.", "Thanks for the earlier reply."])
        user = " ".join([ref, fu, r.choice(spec["details"]).format_map(s)])
        agent = " ".join([r.choice(AGENT_GREETINGS), fa, r.choice(spec["extras"]).format_map(s),
                          r.choice(AGENT_CLOSINGS)])
        u = _Unit(file=src.file, intent=src.intent, slots=s, problem="followup")
        if src.file == CHAT:
            u.record = {"messages": _conv_messages([(user, agent)], None), "ticket": src.record["ticket"]}
        else:
            created = dt.datetime.strptime(src.record[1], "%Y-%m-%dT%H:%M:%SZ") + dt.timedelta(hours=r.randrange(2, 96))
            csat = "" if r.random() < 0.2 else str(r.randrange(1, 6))
            u.record = [src.record[0], created.strftime("%Y-%m-%dT%H:%M:%SZ"), src.record[2], src.record[3], user,
                        agent, csat]
        if g.accept(src.intent, user, _text_of(u)):
            return u
    raise RuntimeError("could not generate a distinct follow-up")


def _bench(g: _Gen) -> tuple[list[dict[str, str]], list[int]]:
    """The benchmark items, and the template each one was built from."""
    items = []
    for t, (q, a, fills) in enumerate(BENCH_TEMPLATES):
        for fill in fills:
            slots = {"CO": CO, **fill}
            items.append((t, {"question": q.format_map(slots), "answer": a.format_map(slots)}))
    g.rng.shuffle(items)
    return [{"id": f"SB-{k + 1:03d}", **item} for k, (_, item) in enumerate(items)], [t for t, _ in items]


def _contamination_unit(g: _Gen, file: str, item: dict[str, str], n: int) -> _Unit:
    """A unit whose question and answer are a benchmark item's, verbatim or with one letter's case changed."""
    q, a = item["question"], item["answer"]
    if n % 3 == 2:  # tiny case change
        q = q[0].lower() + q[1:]
    u = _Unit(file=file, intent="bench", problem="contamination")
    if file == ALPACA:
        u.record = {"instruction": q, "input": "", "output": a}
    else:
        msgs = _conv_messages([(q, a)], g.rng.choice(SYSTEM_PROMPTS) if n % 2 else None)
        u.record = {"messages": msgs} if file == CHAT else {
            "id": g.new_id(lambda: "".join(g.rng.choices(string.ascii_letters + string.digits, k=7))),
            "conversations": _to_sharegpt(msgs)}
    return u


# --------------------------------------------------------------------------------------------
# Serialization
# --------------------------------------------------------------------------------------------

def _jsonl_line(record: Any) -> bytes:
    return (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")


def _malformed_line(g: _Gen, u: _Unit, n: int) -> bytes:
    line = json.dumps(u.record, ensure_ascii=False)
    variant = n % 4
    if variant == 0:  # truncated mid-record
        cut = len(line) // 2 + g.rng.randrange(-20, 20)
        return (line[:cut] + "\n").encode("utf-8")
    if variant == 1:  # a bare text line, not JSON at all
        return g.rng.choice(["--- export continued: batch 7 of 12 ---",
                             "customer left the chat before the agent answered",
                             "ERROR: record could not be serialized"]).encode("utf-8") + b"\n"
    if variant == 2:  # trailing garbage after a complete record
        return (line + g.rng.choice(["}", " // exported by nw-crm v2.3", ",,"]) + "\n").encode("utf-8")
    return (repr(u.record) + "\n").encode("utf-8")  # a Python dict repr: single quotes


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _serialize(file: str, units: list[_Unit]) -> bytes:
    if file == CHAT:
        return b"".join(u.raw if u.raw is not None else _jsonl_line(u.record) for u in units)
    if file in (SHAREGPT, ALPACA):
        return (json.dumps([u.record for u in units], ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    if file == TICKETS:
        buf = io.StringIO(newline="")
        w = csv.writer(buf, lineterminator="\r\n")
        w.writerow(TICKET_COLUMNS)
        for u in units:
            if u.problem == "malformed_csv":  # written by hand: the unquoted comma is the point
                buf.write(",".join(u.record) + "\r\n")
            else:
                w.writerow(u.record)
        return buf.getvalue().encode("utf-8")
    if file == PREFERENCES:
        payload = b"".join(_jsonl_line(u.record) for u in units)
        out = io.BytesIO()
        with gzip.GzipFile(fileobj=out, mode="wb", mtime=0, filename="") as gz:
            gz.write(payload)
        return out.getvalue()
    raise ValueError(file)


# --------------------------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------------------------

def _problem_context(g: _Gen) -> dict[str, dict[str, Any]]:
    """Per-file parameters of the planted problems (which PII types, secret kinds...)."""
    r = g.rng
    ctx: dict[str, dict[str, Any]] = {f: {} for f in RAW_FILES}
    # PII: each row gets a primary type from a balanced deck, and sometimes a second one.
    n_pii = sum(c for f in RAW_FILES for p, c, _ in PLAN[f][1] if p == "pii")
    deck = (["name"] * 45 + ["email"] * 40 + ["phone"] * 30 + ["card"] * 20 + ["address"] * 15)
    deck = (deck * (n_pii // len(deck) + 1))[:n_pii]
    r.shuffle(deck)
    types: list[tuple[str, ...]] = []
    for primary in deck:
        if r.random() < 0.35:
            second = r.choice([t for t in PII_TYPES if t != primary])
            types.append((primary, second))
        else:
            types.append((primary,))
    first_card = [False] * n_pii
    first_card[next(i for i, t in enumerate(types) if "card" in t)] = True
    n_secret = sum(c for f in RAW_FILES for p, c, _ in PLAN[f][1] if p == "secret")
    kinds = ["openai"] * 4 + ["aws"] * 4 + ["github"] * 3 + ["postgres"] * 2 + ["password"] * 2
    kinds = (kinds * (n_secret // len(kinds) + 1))[:n_secret]
    r.shuffle(kinds)
    firsts = [False] * len(kinds)
    for k in ("aws", "postgres"):
        firsts[kinds.index(k)] = True
    start = {"pii": 0, "secret": 0}
    offset = {"mojibake": 0, "special_tokens": 0, "refusal": 0}  # these pick from fixed lists, in file order
    for f in RAW_FILES:
        counts = {p: c for p, c, _ in PLAN[f][1]}
        npii, nsec = counts.get("pii", 0), counts.get("secret", 0)
        ctx[f]["pii_types"] = types[start["pii"]:start["pii"] + npii]
        ctx[f]["first_card"] = first_card[start["pii"]:start["pii"] + npii]
        ctx[f]["secret_kinds"] = kinds[start["secret"]:start["secret"] + nsec]
        ctx[f]["secret_first"] = firsts[start["secret"]:start["secret"] + nsec]
        start["pii"] += npii
        start["secret"] += nsec
        ctx[f]["offset"] = dict(offset)
        for p in offset:
            offset[p] += counts.get(p, 0)
    return ctx


def _layout(g: _Gen, file: str) -> list[tuple[str, int, dict[str, Any]] | None]:
    """Seeded positions of the planned problems of ``file``: (problem, k-th of its kind, options) or None."""
    n, plan = PLAN[file]
    seen: dict[str, int] = {}
    items = []
    for p, c, opts in plan:
        for _ in range(c):
            items.append((p, seen.get(p, 0), opts))
            seen[p] = seen.get(p, 0) + 1
    layout: list[tuple[str, int, dict[str, Any]] | None] = [None] * n
    for pos, item in zip(g.rng.sample(range(n), len(items)), items):
        layout[pos] = item
    return layout


def _broken_unit(g: _Gen, file: str, problem: str, k: int) -> _Unit:
    """A unit that cannot be read as intended: malformed JSON, not a record, a non-UTF-8 byte, a bad CSV row."""
    r = g.rng
    u = _base(g, file, system=False) if problem == "non_utf8" else _base(g, file)
    u.problem = problem
    if problem == "malformed_json":
        u.raw = _malformed_line(g, u, k)
    elif problem == "not_a_record":  # valid JSON, but a bare string
        u.raw = _jsonl_line(r.choice(["ticket closed by agent", "conversation merged into T-10001"]))
    elif problem == "non_utf8":  # one latin-1 byte inside an otherwise valid JSON line
        msgs = u.record["messages"]
        msgs[0]["content"] = f"{msgs[0]['content']} I'm working from a caf\u00e9 with spotty wifi today."
        line = _jsonl_line(u.record)
        assert line.count("\u00e9".encode()) == 1
        u.raw = line.replace("\u00e9".encode(), b"\xe9")
    elif problem == "malformed_csv":  # an unquoted comma in the message: one field too many
        rec = u.record
        msg = re.sub(r"[\n\",]", " ", rec[4]).strip()
        head, _, tail = msg.partition(" ")
        u.record = rec[:4] + [f"{head}, {tail}", re.sub(r"[\n\",]", " ", rec[5]).strip(), rec[6]]
    else:
        raise ValueError(problem)
    return u


def _copy_unit(g: _Gen, units: dict[str, list[_Unit | None]], file: str, problem: str, opts: dict[str, Any]) -> _Unit:
    """An exact duplicate or a paraphrase, in ``file``, of a clean unit of ``opts["src"]`` used by nothing else."""
    src_file = opts["src"]

    def eligible(u: _Unit | None) -> bool:
        if u is None or u.problem or u.used:
            return False
        if src_file == ALPACA and file != ALPACA and u.record["input"]:
            return False  # only instruction-only units convert to a chat unambiguously
        if problem == "near_duplicate":
            if u.n_words < 0:
                u.n_words = len(_WORD.findall(_text_of(u).lower()))
            return u.n_words >= NEAR_SOURCE_MIN_WORDS  # short texts cannot take a word change and stay similar
        return True

    while True:
        src = g.rng.choice([u for u in units[src_file] if eligible(u)])
        src.used = True
        if problem == "exact_duplicate":
            u = _convert(src, file)
            if opts.get("whole_line"):
                u.record = copy.deepcopy(src.record)  # the whole line or row again, ids included
            else:
                _new_identity(g, u)
            break
        para = _paraphrase(g, src, file)
        if para is not None:
            u = para
            _new_identity(g, u)
            break
    u.problem = problem
    return u


def _renumber_tickets(g: _Gen, units: list[_Unit]) -> list[_Unit]:
    """Sort the ticket export by creation time and number tickets in order of first appearance."""
    units = sorted(units, key=lambda u: u.record[1])
    ids: dict[str, str] = {}
    next_id = 20000
    for u in units:
        if u.record[0] not in ids:
            next_id += g.rng.randrange(1, 4)
            ids[u.record[0]] = f"T-{next_id}"
        u.record[0] = ids[u.record[0]]
    return units


def _build(seed: int) -> tuple[dict[str, list[_Unit]], list[dict[str, str]]]:
    g = _Gen(seed)
    r = g.rng
    layouts = {f: _layout(g, f) for f in RAW_FILES}
    ctx = _problem_context(g)
    bench, template_of = _bench(g)
    # contaminate with items of distinct templates, so that no two contaminated units are near duplicates
    n_contam = sum(c for f in RAW_FILES for p, c, _ in PLAN[f][1] if p == "contamination")
    first_of = {t: i for i, t in reversed(list(enumerate(template_of)))}
    contam = iter([bench[first_of[t]] for t in r.sample(sorted(first_of), n_contam)])
    n_contam_done = 0

    # 1. Clean units and units with a planted problem (everything but copies and follow-ups).
    units: dict[str, list[_Unit | None]] = {f: [None] * PLAN[f][0] for f in RAW_FILES}
    for f in RAW_FILES:
        for pos, item in enumerate(layouts[f]):
            if item is None:
                u = _base(g, f)
                if f == CHAT and r.random() < 0.4:
                    u.record["ticket"] = _ticket_id(g, 10000, 20000)
                units[f][pos] = u
                continue
            p, k, _ = item
            if p in ("exact_duplicate", "near_duplicate", "followup"):
                continue
            if p == "tools":
                u = _tools_unit(g, k)
            elif p == "contamination":
                u = _contamination_unit(g, f, next(contam), n_contam_done)
                n_contam_done += 1
            elif p in ("malformed_json", "not_a_record", "non_utf8", "malformed_csv"):
                u = _broken_unit(g, f, p, k)
            else:
                kwargs: dict[str, Any] = {}
                if p in ("missing_final_assistant", "role_order"):
                    kwargs["turns"] = 1 + (k % 2)
                if f == ALPACA:
                    kwargs["alpaca_kind"] = {"pii": "reply", "secret": "reply", "overlong": "kb"}.get(p)
                if p == "secret":
                    kwargs["intent"] = "login" if ctx[f]["secret_kinds"][k] == "password" else "sync"
                u = _base(g, f, mutate=lambda u, p=p, k=k, f=f: _plant(g, u, p, k, ctx[f]), **kwargs)
            units[f][pos] = u

    # 2. Follow-ups of clean tickets, then exact and near duplicates of clean units.
    for f in RAW_FILES:
        for pos, item in enumerate(layouts[f]):
            if item is not None and item[0] == "followup":
                src = r.choice([u for u in units[f] if u is not None and not u.problem and not u.used
                                and (f != CHAT or "ticket" in u.record)])
                src.used = True
                units[f][pos] = _followup_unit(g, src)
    for f in RAW_FILES:
        for pos, item in enumerate(layouts[f]):
            if item is not None and item[0] in ("exact_duplicate", "near_duplicate"):
                units[f][pos] = _copy_unit(g, units, f, item[0], item[2])

    done = {f: [u for u in us if u is not None] for f, us in units.items()}
    done[TICKETS] = _renumber_tickets(g, done[TICKETS])
    assert all(len(done[f]) == PLAN[f][0] for f in RAW_FILES) and len(bench) == BENCH_ITEMS
    return done, bench


def _count(units: dict[str, list[_Unit]], bench: list[dict[str, str]]) -> dict[str, int]:
    out: dict[str, int] = {f: len(units[f]) for f in RAW_FILES}
    out["benchmark_items"] = len(bench)
    for p in PROBLEMS:
        out[f"planted_{p}"] = sum(u.problem == p for f in RAW_FILES for u in units[f])
    for t in PII_TYPES:
        out[f"planted_pii_{t}"] = sum(t in u.pii for f in RAW_FILES for u in units[f])
    return out


def _bench_readme(seed: int, n: int) -> str:
    return (
        "# support_bench (fictional)\n\n"
        f"`support_bench.jsonl` holds {n} question/answer items about **{CO} Cloud Storage**, a company that does\n"
        "not exist. Every item is invented. The file is generated by `tuneset.sample` (`tuneset sample`,\n"
        f"seed {seed}) together with the bundled sample in `data/raw/sample/`; do not edit it by hand.\n\n"
        "It plays the role of an evaluation set: the pipeline's decontaminate stage drops training examples that\n"
        "overlap it. A few units of the bundled sample are deliberately copied from it (verbatim or with a\n"
        "case change) so that the stage has something to find. Never train on this file.\n\n"
        "Format: JSON Lines, one object per line: `{\"id\": \"SB-001\", \"question\": ..., \"answer\": ...}`.\n"
    )


def generate(raw_dir: Path, bench_dir: Path, seed: int = DEFAULT_SEED) -> dict[str, int]:
    """Write the sample into raw_dir and the fictional benchmark into bench_dir; return units per file name.

    Keys: the five raw file names (units written to each), ``benchmark_items``, and one
    ``planted_<problem>`` count per planted problem (plus ``planted_pii_<type>``: units holding
    that PII type). Same seed, same bytes.
    """
    raw_dir, bench_dir = Path(raw_dir), Path(bench_dir)
    units, bench = _build(seed)
    for f in RAW_FILES:
        _write(raw_dir / f, _serialize(f, units[f]))
    _write(bench_dir / BENCH_FILE, b"".join(_jsonl_line(item) for item in bench))
    _write(bench_dir / BENCH_README, _bench_readme(seed, len(bench)).encode("utf-8"))
    return _count(units, bench)


def main(argv: Sequence[str] | None = None) -> int:
    """``tuneset sample``: write the bundled sample and its fictional benchmark."""
    ap = argparse.ArgumentParser(prog="tuneset sample", description=(
        "Write the bundled fictional support sample (with planted problems) and its benchmark."))
    ap.add_argument("--raw-dir", type=Path, default=DEFAULT_RAW_DIR,
                    help=f"where the raw files go (default {DEFAULT_RAW_DIR})")
    ap.add_argument("--bench-dir", type=Path, default=DEFAULT_BENCH_DIR,
                    help=f"where the benchmark goes (default {DEFAULT_BENCH_DIR})")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    args = ap.parse_args(argv)
    counts = generate(args.raw_dir, args.bench_dir, args.seed)
    for f in RAW_FILES:
        print(f"{args.raw_dir / f}: {counts[f]} units")
    print(f"{args.bench_dir / BENCH_FILE}: {counts['benchmark_items']} items")
    planted = ", ".join(f"{k.removeprefix('planted_')}={v}" for k, v in counts.items()
                        if k.startswith("planted_") and not k.startswith("planted_pii_"))
    print(f"total: {sum(counts[f] for f in RAW_FILES)} units; planted: {planted}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
