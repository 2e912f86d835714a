"""A client library for accessing ThingSpace FOTA v3 Firmware"""

from .client import AuthenticatedClient, Client

__all__ = (
    "AuthenticatedClient",
    "Client",
)
