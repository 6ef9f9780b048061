"""The words of the public pages and service emails, in English and Hebrew.

A small table instead of gettext catalogs: the pages have few strings and must never fail
to render for a missing catalog. ``Strings(locale)`` looks a key up, falling back to English.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

DEFAULT_LOCALE = "en"
RTL_LOCALES = frozenset({"he", "ar", "fa", "ur", "yi"})

TABLES: dict[str, dict[str, str]] = {
    "en": {
        "language_name": "English",
        "skip_to_content": "Skip to content",
        "subscribe_title": "Subscribe to {publication}",
        "subscribe_intro": "Choose the digests you want. We will email you a link to confirm: "
        "nothing is sent until you press it.",
        "email_label": "Email address",
        "name_label": "Name (optional)",
        "segments_legend": "Digests",
        "topics_legend": "Topics you care about (optional)",
        "locale_label": "Language of the emails",
        "timezone_label": "Time zone",
        "timezone_hint": "An IANA time zone name, for example Europe/London.",
        "consent_label": "I agree to receive the digests I chose from {publication} by email. "
        "I can unsubscribe at any time with the link in every email.",
        "privacy_note": "We keep a record of this agreement (time, address and the wording "
        "you agreed to) as proof of consent.",
        "subscribe_button": "Subscribe",
        "errors_heading": "Please correct the following:",
        "err_email": "Enter a valid email address.",
        "err_segments": "Choose at least one digest.",
        "err_unknown_segment": "Unknown digest: {value}.",
        "err_unknown_topic": "Unknown topic: {value}.",
        "err_locale": "Choose one of the offered languages.",
        "err_timezone": "Enter a time zone name such as Europe/London.",
        "err_consent": "Tick the box to agree to receive the digests.",
        "err_pause": "Choose a number of weeks between 1 and {max}.",
        "err_name": "The name is too long.",
        "err_body": "The request could not be read.",
        "check_inbox_title": "Check your inbox",
        "check_inbox_body": "If this address can receive our digests, a confirmation link is "
        "on its way to it. Open the email and press the link to start your subscription. "
        "The link works for {days} days.",
        "rate_limited_title": "Too many requests",
        "rate_limited_body": "Please wait a minute and try again.",
        "send_failed_title": "Please try again later",
        "send_failed_body": "We could not send the email just now. Nothing was changed; "
        "please try again in a few minutes.",
        "confirm_title": "Confirm your subscription",
        "confirm_body": "Press the button to confirm that {email} should receive: {segments}.",
        "confirm_button": "Confirm my subscription",
        "confirmed_title": "You are subscribed",
        "confirmed_body": "Thank you. Your digests will arrive with the next editions.",
        "already_confirmed_body": "This subscription is already confirmed.",
        "superseded_body": "A newer confirmation link was sent to this address. Please use "
        "the most recent email.",
        "blocked_title": "This address cannot be subscribed",
        "blocked_body": "Emails to this address are stopped. Please write to {contact} if you "
        "want them restarted.",
        "manage_link": "Manage your preferences",
        "link_invalid_title": "This link does not work",
        "link_invalid_body": "The link is not valid. It may have been cut short when it was "
        "copied.",
        "link_expired_body": "The link has expired.",
        "new_link_offer": "Enter your email address and we will send you a fresh link to manage "
        "your subscription.",
        "unsubscribe_title": "Unsubscribe",
        "unsubscribe_segment_body": "{email} receives {segment}.",
        "unsubscribe_all_body": "{email} receives emails from {publication}.",
        "leave_segment_button": "Unsubscribe from {segment}",
        "leave_all_button": "Unsubscribe from all digests",
        "prefer_change": "Prefer fewer emails? You can pause or change what you receive instead.",
        "unsubscribed_title": "You are unsubscribed",
        "unsubscribed_all_body": "You will not receive any more digests from {publication}.",
        "unsubscribed_segment_body": "You will no longer receive {segment}. Your other digests "
        "continue.",
        "already_unsubscribed_body": "You were already unsubscribed; nothing more will be sent.",
        "resubscribe_hint": "Changed your mind? You can subscribe again from your preferences.",
        "one_click_done": "You are unsubscribed.",
        "prefs_title": "Your preferences",
        "prefs_for": "Preferences for {email}",
        "status_active": "You are subscribed.",
        "status_pending": "Your subscription is not confirmed yet.",
        "status_unsubscribed": "You are unsubscribed from all digests.",
        "status_stopped": "Emails to this address are stopped. Please write to {contact} if you "
        "want them restarted.",
        "paused_until": "Your digests are paused until {date}.",
        "save_button": "Save preferences",
        "saved": "Your preferences are saved.",
        "pause_legend": "Take a break",
        "pause_label": "Pause all digests for this many weeks",
        "pause_button": "Pause",
        "resume_button": "Resume now",
        "paused_msg": "Your digests are paused until {date}.",
        "resumed_msg": "Your digests are back on.",
        "resubscribe_button": "Subscribe again",
        "resubscribed_msg": "Welcome back: you are subscribed again.",
        "resubscribe_blocked": "This subscription cannot be restarted here. Please write to "
        "{contact}.",
        "leave_legend": "Leave",
        "manage_title": "Manage your subscription",
        "manage_button": "Email me a link",
        "manage_sent": "If this address is on our list, a link to manage it is on its way.",
        "unavailable_title": "Briefly unavailable",
        "unavailable_body": "Something went wrong on our side. Nothing was changed; please try "
        "again in a few minutes.",
        "not_found_title": "Page not found",
        "not_found_body": "There is nothing at this address.",
        "none_chosen": "none",
        "confirm_email_subject": "Confirm your subscription to {publication}",
        "confirm_email_heading": "One more step",
        "confirm_email_intro": "Someone, we hope you, asked for this address to receive "
        "{segments} from {publication}.",
        "confirm_email_action": "Confirm my subscription",
        "confirm_email_expiry": "The link works for {days} days.",
        "confirm_email_ignore": "If this was not you, ignore this email: you will not be "
        "subscribed and we will not write again.",
        "manage_email_subject": "Manage your {publication} subscription",
        "manage_email_intro": "Here is the link you asked for to manage your subscription.",
        "manage_email_action": "Manage my preferences",
        "manage_email_unsubscribe": "Or unsubscribe from everything:",
        "manage_email_ignore": "If you did not ask for this link, you can ignore this email.",
        "email_footer": "You receive this email because this address was entered on {website}.",
        # ---- Web Push and the archive (issue #13) ----
        "push_heading": "Notifications",
        "push_intro": "Get each digest's top headlines as a notification on this device. "
        "No email address is needed.",
        "push_linked_note": "They are linked to this subscription.",
        "push_on_button": "Notify me",
        "push_off_button": "Stop notifications",
        "push_on_msg": "Notifications are on for this device.",
        "push_off_msg": "Notifications are off for this device.",
        "push_denied_msg": "Notifications are blocked in this browser's settings.",
        "push_failed_msg": "Notifications could not be turned on. Please try again later.",
        "archive_title": "Past editions",
        "archive_intro": "Every digest we have sent, newest first.",
        "archive_empty": "No edition has been sent yet.",
        "archive_segment_title": "{segment}: past editions",
        "archive_more": "All {segment} editions",
        "archive_newer": "Newer editions",
        "archive_older": "Older editions",
        "archive_feed": "Atom feed",
        "archive_page": "Page {page}",
        "edition_previous": "Previous edition",
        "edition_next": "Next edition",
        "edition_all": "All editions",
    },
    "he": {
        "language_name": "עברית",
        "skip_to_content": "דילוג לתוכן",
        "subscribe_title": "הרשמה ל-{publication}",
        "subscribe_intro": "בחרו את הסיכומים שתרצו לקבל. נשלח אליכם קישור לאישור: "
        "שום דבר לא יישלח עד שתלחצו עליו.",
        "email_label": "כתובת דוא״ל",
        "name_label": "שם (לא חובה)",
        "segments_legend": "סיכומים",
        "topics_legend": "נושאים שמעניינים אתכם (לא חובה)",
        "locale_label": "שפת ההודעות",
        "timezone_label": "אזור זמן",
        "timezone_hint": "שם אזור זמן לפי IANA, למשל Asia/Jerusalem.",
        "consent_label": "אני מסכים/ה לקבל בדוא״ל את הסיכומים שבחרתי מ-{publication}. "
        "אפשר לבטל בכל עת בקישור שמופיע בכל הודעה.",
        "privacy_note": "אנו שומרים תיעוד של הסכמה זו (מועד, כתובת ונוסח ההסכמה) כהוכחה להסכמתכם.",
        "subscribe_button": "הרשמה",
        "errors_heading": "נא לתקן את הפרטים הבאים:",
        "err_email": "נא להזין כתובת דוא״ל תקינה.",
        "err_segments": "נא לבחור לפחות סיכום אחד.",
        "err_unknown_segment": "סיכום לא מוכר: {value}.",
        "err_unknown_topic": "נושא לא מוכר: {value}.",
        "err_locale": "נא לבחור אחת מהשפות המוצעות.",
        "err_timezone": "נא להזין שם אזור זמן, למשל Asia/Jerusalem.",
        "err_consent": "נא לסמן את התיבה כדי להסכים לקבלת הסיכומים.",
        "err_pause": "נא לבחור מספר שבועות בין 1 ל-{max}.",
        "err_name": "השם ארוך מדי.",
        "err_body": "לא ניתן היה לקרוא את הבקשה.",
        "check_inbox_title": "בדקו את תיבת הדואר",
        "check_inbox_body": "אם כתובת זו יכולה לקבל את הסיכומים שלנו, קישור לאישור נשלח "
        "אליה. פתחו את ההודעה ולחצו על הקישור כדי להתחיל את המינוי. הקישור תקף {days} ימים.",
        "rate_limited_title": "יותר מדי בקשות",
        "rate_limited_body": "נא להמתין דקה ולנסות שוב.",
        "send_failed_title": "נא לנסות שוב מאוחר יותר",
        "send_failed_body": "לא הצלחנו לשלוח את ההודעה כרגע. דבר לא השתנה; "
        "נא לנסות שוב בעוד כמה דקות.",
        "confirm_title": "אישור המינוי",
        "confirm_body": "לחצו על הכפתור כדי לאשר שהכתובת {email} תקבל: {segments}.",
        "confirm_button": "אישור המינוי שלי",
        "confirmed_title": "נרשמתם בהצלחה",
        "confirmed_body": "תודה. הסיכומים יגיעו אליכם עם המהדורות הבאות.",
        "already_confirmed_body": "המינוי הזה כבר אושר.",
        "superseded_body": "קישור אישור חדש יותר נשלח לכתובת זו. נא להשתמש בהודעה האחרונה.",
        "blocked_title": "לא ניתן לרשום כתובת זו",
        "blocked_body": "המשלוח לכתובת זו הופסק. אם תרצו לחדש אותו, כתבו אל {contact}.",
        "manage_link": "ניהול ההעדפות שלכם",
        "link_invalid_title": "הקישור אינו פועל",
        "link_invalid_body": "הקישור אינו תקין. ייתכן שנקטע בעת ההעתקה.",
        "link_expired_body": "תוקף הקישור פג.",
        "new_link_offer": "הזינו את כתובת הדוא״ל שלכם ונשלח קישור חדש לניהול המינוי.",
        "unsubscribe_title": "ביטול מינוי",
        "unsubscribe_segment_body": "הכתובת {email} מקבלת את {segment}.",
        "unsubscribe_all_body": "הכתובת {email} מקבלת הודעות מ-{publication}.",
        "leave_segment_button": "ביטול המינוי ל-{segment}",
        "leave_all_button": "ביטול כל הסיכומים",
        "prefer_change": "מעדיפים פחות הודעות? אפשר להשהות או לשנות את מה שאתם מקבלים.",
        "unsubscribed_title": "המינוי בוטל",
        "unsubscribed_all_body": "לא תקבלו עוד סיכומים מ-{publication}.",
        "unsubscribed_segment_body": "לא תקבלו עוד את {segment}. שאר הסיכומים ימשיכו להגיע.",
        "already_unsubscribed_body": "המינוי כבר בוטל קודם לכן; לא יישלח דבר נוסף.",
        "resubscribe_hint": "שיניתם את דעתכם? אפשר להירשם מחדש מדף ההעדפות.",
        "one_click_done": "המינוי בוטל.",
        "prefs_title": "ההעדפות שלכם",
        "prefs_for": "העדפות עבור {email}",
        "status_active": "אתם רשומים.",
        "status_pending": "המינוי עדיין לא אושר.",
        "status_unsubscribed": "ביטלתם את כל הסיכומים.",
        "status_stopped": "המשלוח לכתובת זו הופסק. אם תרצו לחדש אותו, כתבו אל {contact}.",
        "paused_until": "הסיכומים מושהים עד {date}.",
        "save_button": "שמירת ההעדפות",
        "saved": "ההעדפות נשמרו.",
        "pause_legend": "הפסקה",
        "pause_label": "השהיית כל הסיכומים למספר שבועות",
        "pause_button": "השהיה",
        "resume_button": "חידוש עכשיו",
        "paused_msg": "הסיכומים מושהים עד {date}.",
        "resumed_msg": "הסיכומים חזרו להגיע.",
        "resubscribe_button": "הרשמה מחדש",
        "resubscribed_msg": "ברוכים השבים: נרשמתם מחדש.",
        "resubscribe_blocked": "לא ניתן לחדש מינוי זה כאן. נא לכתוב אל {contact}.",
        "leave_legend": "עזיבה",
        "manage_title": "ניהול המינוי",
        "manage_button": "שלחו לי קישור",
        "manage_sent": "אם כתובת זו ברשימה שלנו, קישור לניהולה נשלח אליה.",
        "unavailable_title": "השירות אינו זמין כרגע",
        "unavailable_body": "משהו השתבש אצלנו. דבר לא השתנה; נא לנסות שוב בעוד כמה דקות.",
        "not_found_title": "הדף לא נמצא",
        "not_found_body": "אין כלום בכתובת הזו.",
        "none_chosen": "אין",
        "confirm_email_subject": "אישור המינוי ל-{publication}",
        "confirm_email_heading": "עוד צעד אחד",
        "confirm_email_intro": "מישהו, אנו מקווים שאתם, ביקש שכתובת זו תקבל את {segments} "
        "מ-{publication}.",
        "confirm_email_action": "אישור המינוי שלי",
        "confirm_email_expiry": "הקישור תקף {days} ימים.",
        "confirm_email_ignore": "אם לא אתם ביקשתם, התעלמו מהודעה זו: לא תירשמו ולא נכתוב "
        "אליכם שוב.",
        "manage_email_subject": "ניהול המינוי ל-{publication}",
        "manage_email_intro": "זה הקישור שביקשתם לניהול המינוי שלכם.",
        "manage_email_action": "ניהול ההעדפות שלי",
        "manage_email_unsubscribe": "או ביטול של כל הסיכומים:",
        "manage_email_ignore": "אם לא ביקשתם קישור זה, אפשר להתעלם מהודעה זו.",
        "email_footer": "קיבלתם הודעה זו כי הכתובת הוזנה באתר {website}.",
        # ---- Web Push and the archive (issue #13) ----
        "push_heading": "התראות",
        "push_intro": "קבלו את הכותרות המובילות של כל סיכום כהתראה במכשיר הזה. "
        "אין צורך בכתובת דוא״ל.",
        "push_linked_note": "ההתראות מקושרות למינוי הזה.",
        "push_on_button": "הפעלת התראות",
        "push_off_button": "הפסקת ההתראות",
        "push_on_msg": "ההתראות פועלות במכשיר הזה.",
        "push_off_msg": "ההתראות כבויות במכשיר הזה.",
        "push_denied_msg": "ההתראות חסומות בהגדרות הדפדפן.",
        "push_failed_msg": "לא ניתן היה להפעיל התראות. נא לנסות שוב מאוחר יותר.",
        "archive_title": "מהדורות קודמות",
        "archive_intro": "כל הסיכומים ששלחנו, מהחדש לישן.",
        "archive_empty": "עדיין לא נשלחה אף מהדורה.",
        "archive_segment_title": "{segment}: מהדורות קודמות",
        "archive_more": "כל המהדורות של {segment}",
        "archive_newer": "מהדורות חדשות יותר",
        "archive_older": "מהדורות ישנות יותר",
        "archive_feed": "הזנת Atom",
        "archive_page": "עמוד {page}",
        "edition_previous": "המהדורה הקודמת",
        "edition_next": "המהדורה הבאה",
        "edition_all": "כל המהדורות",
    },
}


@dataclass(frozen=True, slots=True)
class Strings:
    """The page and email words for one locale, English where a word is missing."""

    locale: str

    @property
    def direction(self) -> str:
        """``rtl`` for right-to-left locales, else ``ltr``."""
        return "rtl" if self.locale in RTL_LOCALES else "ltr"

    def __call__(self, key: str, **values: object) -> str:
        """The text for ``key`` with ``{name}`` placeholders filled from ``values``."""
        table = TABLES.get(self.locale, TABLES[DEFAULT_LOCALE])
        text = table.get(key) or TABLES[DEFAULT_LOCALE].get(key)
        if text is None:
            raise KeyError(f"no page text called {key!r}")
        return text.format(**values) if values else text


def pick_locale(supported: Iterable[str], *candidates: str | None) -> str:
    """The first candidate that is a supported locale (a tag like ``he-IL`` counts as ``he``)."""
    allowed = set(supported)
    for candidate in candidates:
        if not candidate:
            continue
        tag = candidate.strip().lower().replace("_", "-").split("-")[0]
        if tag in allowed:
            return tag
    return DEFAULT_LOCALE if DEFAULT_LOCALE in allowed else sorted(allowed)[0]


def accept_language_tags(header: str | None) -> list[str]:
    """The language tags of an Accept-Language header, most preferred first."""
    if not header:
        return []
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        pieces = part.strip().split(";")
        tag = pieces[0].strip()
        quality = 1.0
        for param in pieces[1:]:
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and tag != "*" and quality > 0:
            ranked.append((-quality, index, tag))
    return [tag for _, _, tag in sorted(ranked)]
