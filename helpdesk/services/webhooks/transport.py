"""Sending one webhook over HTTP(S), to a checked address only.

The host name is resolved once; every address it resolves to must pass the guard
(helpdesk.rules.webhook_targets), and the connection goes to exactly such an address, with the
name kept for the Host header and the TLS certificate check (SNI). Nothing resolves the name a
second time between the check and the connection, so a DNS answer that changes in between (DNS
rebinding) cannot steer us to an internal address. Redirects are never followed: http.client
does not, and the caller counts a 3xx as a failure. requests and urllib3 are not dependencies.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from flask import current_app

from helpdesk.rules.webhook_targets import (
    Address,
    Network,
    Target,
    TargetError,
    check_url,
    refused_because,
)

SNIPPET_BYTES = 512  # of the receiver's answer, for the error shown to the administrator
Resolver = Callable[[str, int], list[str]]
RESOLVER_EXTENSION = "webhook_resolver"  # tests put a resolver of their own here


class Refused(Exception):
    """The target may not be contacted (SSRF guard), or could not be resolved; no retry helps
    until the URL or the allowed ranges change, but the attempt counts like any failure."""


@dataclass(frozen=True)
class Answer:
    """What the receiver said: status, reason phrase, where it redirected to, body's start."""

    status: int
    reason: str
    location: str | None
    snippet: bytes


class Transport:
    """Anything that POSTs a body to a URL: the real one below, or a test's fake."""

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> Answer:
        raise NotImplementedError


def system_resolver(host: str, port: int) -> list[str]:
    """Every address `host` resolves to, for a TCP connection (getaddrinfo, as connect does)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise Refused(f"{host} could not be resolved ({error.strerror or error}).") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def current_resolver() -> Resolver:
    """The app's resolver: the system's, unless a test put another one on the app."""
    return current_app.extensions.get(RESOLVER_EXTENSION, system_resolver)


def checked_addresses(
    target: Target, allowed: tuple[Network, ...], resolver: Resolver
) -> list[Address]:
    """The addresses to connect to, each one checked; Refused when any of them may not be."""
    if target.address is not None:
        addresses = [target.address]
    else:
        addresses = []
        for text in resolver(target.host, target.port):
            try:
                addresses.append(ipaddress.ip_address(text))
            except ValueError:
                raise Refused(f"{target.host} resolved to “{text[:60]}”, not an address.") from None
    why = refused_because(target, addresses, allowed)
    if why is not None:
        raise Refused(why)
    return addresses


class _PinnedConnection(http.client.HTTPConnection):
    """HTTP to one given address, with the URL's host in the Host header."""

    def __init__(self, host: str, port: int, address: Address, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((str(self.address), self.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _PinnedTlsConnection(_PinnedConnection):
    """HTTPS to one given address; the certificate must be valid for the URL's host."""

    default_port = http.client.HTTPS_PORT

    def __init__(
        self, host: str, port: int, address: Address, timeout: float, context: ssl.SSLContext
    ) -> None:
        super().__init__(host, port, address, timeout)
        self.context = context

    def connect(self) -> None:
        super().connect()
        self.sock = self.context.wrap_socket(self.sock, server_hostname=self.host)


class HttpTransport(Transport):
    """POST with the SSRF guard applied after resolution, to the checked address only."""

    def __init__(
        self,
        allowed: tuple[Network, ...] = (),
        *,
        timeout: float = 5.0,
        resolver: Resolver = system_resolver,
        context: ssl.SSLContext | None = None,
    ) -> None:
        self.allowed = allowed
        self.timeout = timeout
        self.resolver = resolver
        self.context = context or ssl.create_default_context()

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> Answer:
        """Send once; Refused by the guard, OSError or HTTPException when the network fails."""
        try:
            target = check_url(url)
        except TargetError as error:
            raise Refused(str(error)) from None
        addresses = checked_addresses(target, self.allowed, self.resolver)
        connection = self._connected(target, addresses)
        try:
            connection.request("POST", target.path, body=body, headers=dict(headers))
            response = connection.getresponse()
            snippet = response.read(SNIPPET_BYTES)
            return Answer(response.status, response.reason, response.getheader("Location"), snippet)
        finally:
            connection.close()

    def _connected(self, target: Target, addresses: list[Address]) -> _PinnedConnection:
        """A connection to the first checked address that answers (nothing sent yet)."""
        failure: OSError | None = None
        for address in addresses[:3]:
            if target.https:
                connection: _PinnedConnection = _PinnedTlsConnection(
                    target.host, target.port, address, self.timeout, self.context
                )
            else:
                connection = _PinnedConnection(target.host, target.port, address, self.timeout)
            try:
                connection.connect()
            except ssl.SSLError:
                connection.close()
                raise  # a certificate problem is not cured by another address of the name
            except OSError as error:
                connection.close()
                failure = error
                continue
            return connection
        assert failure is not None
        raise failure
