"""Forward the audit trail to a SIEM: syslog over TCP or TLS, or an HTTP Event Collector.

Records and the signed checkpoints that cover them travel in one ordered
stream. A persisted cursor makes a restart resume exactly where the target
last accepted a batch (at least once: a crash between delivery and the
cursor write repeats that batch, and every message carries the dedupe keys
``org_id``, ``seq`` and ``record_hash``). See docs/forwarding.md.

Package layout: :mod:`.messages` (pure formatting), :mod:`.targets` (the
transports), :mod:`.cursor` (the state file), :mod:`.forwarder` (the loop and
the server's background thread).
"""

from conexor.forward.cursor import Cursor, Position
from conexor.forward.errors import ForwardError
from conexor.forward.forwarder import (
    AuditSource,
    Forwarder,
    ForwardHandle,
    start_server_forwarding,
)
from conexor.forward.messages import (
    CHECKPOINT_MSGID,
    CHECKPOINT_SOURCETYPE,
    RECORD_MSGID,
    RECORD_SOURCETYPE,
    checkpoint_id,
    hec_checkpoint_event,
    hec_record_event,
    syslog_checkpoint,
    syslog_record,
)
from conexor.forward.targets import (
    HecTarget,
    SyslogTarget,
    Target,
    TargetUrl,
    open_target,
    parse_target_url,
)

__all__ = [
    "CHECKPOINT_MSGID",
    "CHECKPOINT_SOURCETYPE",
    "RECORD_MSGID",
    "RECORD_SOURCETYPE",
    "AuditSource",
    "Cursor",
    "ForwardError",
    "ForwardHandle",
    "Forwarder",
    "HecTarget",
    "Position",
    "SyslogTarget",
    "Target",
    "TargetUrl",
    "checkpoint_id",
    "hec_checkpoint_event",
    "hec_record_event",
    "open_target",
    "parse_target_url",
    "start_server_forwarding",
    "syslog_checkpoint",
    "syslog_record",
]
