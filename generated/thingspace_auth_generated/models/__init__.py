"""Contains all the data models used in inputs/outputs"""

from .log_in_request import LogInRequest
from .log_in_result import LogInResult
from .o_auth_error import OAuthError
from .o_auth_token import OAuthToken
from .session_error import SessionError
from .token_request import TokenRequest
from .token_request_grant_type import TokenRequestGrantType

__all__ = (
    "LogInRequest",
    "LogInResult",
    "OAuthError",
    "OAuthToken",
    "SessionError",
    "TokenRequest",
    "TokenRequestGrantType",
)
