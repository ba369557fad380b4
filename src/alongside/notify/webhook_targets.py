"""Where a webhook may go: over HTTPS, to a host whose every address is public.

A webhook is sent by the server, from inside the hospital's network, to a URL an administrator
typed. Pointed at a link-local address (169.254.169.254, a cloud's metadata service), a
private or loopback one, it would make the server post to machines the internet cannot reach;
over plain HTTP, anyone on the way could read or change it. So both are refused, unless an
administrator names the host in ALONGSIDE_WEBHOOK_ALLOWED_HOSTS (an intranet receiver, a test).
The URL is checked when it is saved and again before each send: the name may since have come to
resolve elsewhere (DNS rebinding), and the send connects to the address that was checked.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Collection
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..domain.errors import InvalidInput

FIELD = "webhook_url"


@dataclass(frozen=True)
class WebhookTarget:
    scheme: str
    host: str
    port: int
    path: str  # with its query, as sent in the request line
    address: str  # the checked address to connect to


def allowed_hosts_from(text: str | None) -> frozenset[str]:
    """ALONGSIDE_WEBHOOK_ALLOWED_HOSTS: host names or addresses, separated by commas or spaces."""
    return frozenset(host.strip().strip("[]").lower() for host in (text or "").replace(",", " ").split() if host.strip())


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_loopback or ip.is_link_local
                                 or ip.is_private or ip.is_unspecified)


def check_webhook_url(url: str, allowed_hosts: Collection[str] = frozenset(),
                      resolve: Callable | None = None) -> WebhookTarget:
    """The target to connect to, or InvalidInput naming `webhook_url` saying why not. `resolve` is
    socket.getaddrinfo unless given."""
    resolve = resolve or socket.getaddrinfo
    try:
        parts = urlsplit(url)
        host, port = (parts.hostname or "").lower(), parts.port
    except ValueError as exc:
        raise InvalidInput(f"The webhook URL is not a URL Alongside can read ({exc}).", field=FIELD) from None
    if parts.scheme not in {"http", "https"} or not host:
        raise InvalidInput("The webhook URL must start with https:// and name a host.", field=FIELD)
    allowed = host in allowed_hosts
    if parts.scheme != "https" and not allowed:
        raise InvalidInput("The webhook URL must use https://: over plain http anyone on the way could read "
                           "or change the message. An administrator may allow an intranet host by naming it in "
                           "ALONGSIDE_WEBHOOK_ALLOWED_HOSTS.", field=FIELD)
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = [info[4][0] for info in resolve(host, port, type=socket.SOCK_STREAM)]
    except (OSError, UnicodeError):
        addresses = []
    if not addresses:
        raise InvalidInput(f"The webhook host {host} could not be found (its name does not resolve).", field=FIELD)
    if not allowed:
        private = sorted({a for a in addresses if not _public(a)})
        if private:
            raise InvalidInput(f"The webhook host {host} is at {', '.join(private)}, which is not a public "
                               "address (loopback, private, link-local, multicast or reserved), so Alongside "
                               "will not post to it. An administrator may allow it by naming it in "
                               "ALONGSIDE_WEBHOOK_ALLOWED_HOSTS.", field=FIELD)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return WebhookTarget(parts.scheme, host, port, path, addresses[0])
