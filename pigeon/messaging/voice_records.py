"""AWS event records for voice messages (aws-facts §2.2, §2.3): their statuses and descriptions; the record
itself is built by ``records.record``.

AWS documents only a subset of a voice record's fields (eventType, eventVersion, eventTimestamp, isFinal,
originationPhoneNumber, isoCountryCode, messageId, messageRequestTimestamp, messageStatus); Pigeon writes
those in that order and adds the text record's destination, description, context and price fields. A call
goes INITIATED -> RINGING -> ANSWERED -> COMPLETED (final), or ends BUSY, NO_ANSWER, FAILED or TTL_EXPIRED.
"""

from __future__ import annotations

DESCRIPTIONS = {
    "INITIATED": "The call has been initiated",
    "RINGING": "The phone is ringing",
    "ANSWERED": "The call has been answered",
    "COMPLETED": "The message has been played",
    "BUSY": "The line is busy",
    "NO_ANSWER": "The call was not answered",
    "FAILED": "The call failed",
    "TTL_EXPIRED": "The delivery TTL has expired",
}
"""messageStatusDescription per voice status: Pigeon's wording ([UNCONFIRMED]; COMPLETED paraphrases
"audio played", aws-facts §2.3)."""

CALL_FIELDS = ("callDurationSeconds",)
"""What Pigeon adds to a COMPLETED record, before the price fields: the call's seconds from answer to hang-up
(AWS's voice field list is [UNCONFIRMED], aws-facts §2.2). Its price is per started minute of that time."""
