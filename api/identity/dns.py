"""TXT lookups for proving a sign-in domain: the configured name servers (METODIST_DNS_NAMESERVERS)
or the system's, through a `TxtResolver` that tests replace."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import dns.asyncresolver
import dns.exception
import dns.nameserver
import dns.resolver

from api.settings import Settings


class DomainLookupError(Exception):
    pass


class TxtResolver(Protocol):
    async def txt(self, name: str) -> list[str]:
        """The TXT strings at `name` ([] when there are none); DomainLookupError when DNS fails."""
        ...


@dataclass
class DnsResolver:
    """TXT lookups with dnspython: the configured servers (METODIST_DNS_NAMESERVERS) or the system's."""

    nameservers: tuple[str, ...] = ()
    timeout_s: float = 5.0

    def _resolver(self) -> dns.asyncresolver.Resolver:
        if not self.nameservers:
            return dns.asyncresolver.Resolver()
        resolver = dns.asyncresolver.Resolver(configure=False)
        servers = []
        for entry in self.nameservers:
            host, _, port = entry.rpartition(":") if entry.count(":") == 1 else (entry, "", "53")
            servers.append(dns.nameserver.Do53Nameserver(host or entry, int(port or 53)))
        resolver.nameservers = servers
        return resolver

    async def txt(self, name: str) -> list[str]:
        try:
            answer = await self._resolver().resolve(name, "TXT", lifetime=self.timeout_s)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return []
        except (dns.exception.DNSException, OSError) as exc:  # timeouts, no servers, a refused socket
            raise DomainLookupError(type(exc).__name__) from exc
        return [b"".join(record.strings).decode("utf-8", "replace") for record in answer]


def resolver_for(settings: Settings) -> TxtResolver:
    return DnsResolver(settings.dns_nameservers, settings.dns_timeout_s)
