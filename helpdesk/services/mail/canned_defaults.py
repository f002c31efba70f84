"""The eight system e-mails of seed 000, as first installed; administrators edit them after.

Bodies may use {customer_name}, {case_number}, {agent_name} and {article_links}
(see helpdesk.rules.canned); the subject is the title without its "FAQ-" prefix.
"""

from __future__ import annotations

from typing import NamedTuple


class CannedDefault(NamedTuple):
    """One default system e-mail: (key, title, customers_only, body), as demo data reads it."""

    key: str
    title: str
    customers_only: bool
    body: str

    @property
    def subject(self) -> str:
        return self.title.removeprefix("FAQ-")


DEFAULTS: list[CannedDefault] = [
    CannedDefault(
        "faq-request-key",
        "FAQ-How to request a key",
        True,
        "Hello {customer_name},\n\n"
        "thank you for calling about your licence key. Licence keys are issued through your "
        "account, so the request reaches the right order:\n\n"
        "1. Log in to the support portal with the e-mail address you purchased with.\n"
        "2. Open My orders and choose the order for your licensed website.\n"
        "3. Choose Request a key, and give the exact website name the key is for.\n\n"
        "Keys for a changed domain name are reissued within one business day.\n\n"
        "{article_links}\n\n"
        "Your reference for this call is #{case_number}.\n\n"
        "{agent_name}\nSupport team",
    ),
    CannedDefault(
        "faq-open-case",
        "FAQ-How to open a support case",
        False,
        "Hello {customer_name},\n\n"
        "thank you for calling. Your support plan is active, and the fastest way to get "
        "help from a technician is a support case:\n\n"
        "1. Log in to the support portal and choose New case.\n"
        "2. Pick the order the question is about.\n"
        "3. Describe what happened, what you expected, and the steps to see it; attach "
        "screenshots or log files if you have them.\n\n"
        "A technician answers within 4 business hours.\n\n"
        "{article_links}\n\n"
        "Your reference for this call is #{case_number}.\n\n"
        "{agent_name}\nSupport team",
    ),
    CannedDefault(
        "faq-development",
        "FAQ-Development resources",
        False,
        "Hello {customer_name},\n\n"
        "thank you for calling about customising your store. Support covers how the "
        "software works; customisation is development work, and these resources help:\n\n"
        "- the developer guide and API reference in the help centre;\n"
        "- the community forum, where developers share themes and plug-ins;\n"
        "- our partner directory, for a certified developer to do the work for you.\n\n"
        "{article_links}\n\n"
        "Your reference for this call is #{case_number}.\n\n"
        "{agent_name}\nSupport team",
    ),
    CannedDefault(
        "faq-hosting-ticket",
        "FAQ-How to open a hosting ticket",
        False,
        "Hello {customer_name},\n\n"
        "thank you for calling about your website. Hosting and server questions go to our "
        "hosting team through a hosting ticket:\n\n"
        "1. Log in to the support portal and choose New case.\n"
        "2. Pick your hosting order and choose Hosting or website.\n"
        "3. Give the website address and the time the problem started.\n\n"
        "If your store is down, say so in the subject: outages are handled first.\n\n"
        "{article_links}\n\n"
        "Your reference for this call is #{case_number}.\n\n"
        "{agent_name}\nSupport team",
    ),
    CannedDefault(
        "faq-report-bug",
        "FAQ-How to report a bug",
        False,
        "Hello {customer_name},\n\n"
        "thank you for telling us about a possible bug. Bug reports are welcome with or "
        "without a support plan and go straight to our level-two technicians:\n\n"
        "1. Log in to the support portal and choose New case, then Bug report.\n"
        "2. Give the version you run, the steps that show the problem, what you expected "
        "and what happened instead.\n\n"
        "We confirm whether it is a bug and tell you when a fix is released.\n\n"
        "{article_links}\n\n"
        "Your reference for this call is #{case_number}.\n\n"
        "{agent_name}\nSupport team",
    ),
    CannedDefault(
        "faq-support-resources",
        "FAQ-Available support resources",
        False,
        "Hello {customer_name},\n\n"
        "thank you for calling. Your account has no active support plan at the moment, but "
        "these resources answer most installation and set-up questions:\n\n"
        "- the help centre, with step-by-step guides and the installation checklist;\n"
        "- the community forum, searchable and answered by other merchants;\n"
        "- the release notes of your version.\n\n"
        "{article_links}\n\n"
        "If you need a technician, ask us about priority support.\n"
        "Your reference for this call is #{case_number}.\n\n"
        "{agent_name}\nSupport team",
    ),
    CannedDefault(
        "faq-priority-options",
        "FAQ-What are my priority support options",
        False,
        "Hello {customer_name},\n\n"
        "as discussed on the phone, your account has no active support plan. To work with a "
        "technician you can choose:\n\n"
        "- a priority support incident, for one question answered by a technician;\n"
        "- an annual priority support plan, including after-hours (911) support;\n"
        "- a maintenance plan, with upgrades and support for its term.\n\n"
        "Reply to this e-mail or call our sales team to set one up.\n"
        "Your reference for this call is #{case_number}.\n\n"
        "{agent_name}\nSupport team",
    ),
    CannedDefault(
        "faq-old-versions",
        "FAQ-Support for versions 5.x and older",
        False,
        "Hello {customer_name},\n\n"
        "thank you for calling. Versions 5.x and older are no longer supported, so any help "
        "with them is paid support. Your options:\n\n"
        "- upgrade to the current version, which includes support for 30 days;\n"
        "- buy a priority support incident for your current version;\n"
        "- use the archived documentation and the community forum.\n\n"
        "Our sales team can quote an upgrade for you.\n"
        "Your reference for this call is #{case_number}.\n\n"
        "{agent_name}\nSupport team",
    ),
]
