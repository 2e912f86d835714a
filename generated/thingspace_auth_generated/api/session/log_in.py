from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.log_in_request import LogInRequest
from ...models.log_in_result import LogInResult
from ...models.session_error import SessionError
from ...types import Response


def _get_kwargs(
    *,
    body: LogInRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/m2m/v1/session/login",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> LogInResult | SessionError | None:
    if response.status_code == 200:
        response_200 = LogInResult.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = SessionError.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = SessionError.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = SessionError.from_dict(response.json())

        return response_403

    if response.status_code == 429:
        response_429 = SessionError.from_dict(response.json())

        return response_429

    if response.status_code == 500:
        response_500 = SessionError.from_dict(response.json())

        return response_500

    if response.status_code == 503:
        response_503 = SessionError.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[LogInResult | SessionError]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: LogInRequest,
) -> Response[LogInResult | SessionError]:
    """Start an M2M session

     Logs a ThingSpace user in and returns a session token for the `VZ-M2M-Token` header. The session
    expires after 20 minutes of inactivity; ask for a new one only when an API call reports it has
    expired. Five failed logins in a row lock the contact (contract §6), so a refused login must not be
    retried.

    Args:
        body (LogInRequest): The credentials of a ThingSpace user.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[LogInResult | SessionError]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    body: LogInRequest,
) -> LogInResult | SessionError | None:
    """Start an M2M session

     Logs a ThingSpace user in and returns a session token for the `VZ-M2M-Token` header. The session
    expires after 20 minutes of inactivity; ask for a new one only when an API call reports it has
    expired. Five failed logins in a row lock the contact (contract §6), so a refused login must not be
    retried.

    Args:
        body (LogInRequest): The credentials of a ThingSpace user.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        LogInResult | SessionError
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: LogInRequest,
) -> Response[LogInResult | SessionError]:
    """Start an M2M session

     Logs a ThingSpace user in and returns a session token for the `VZ-M2M-Token` header. The session
    expires after 20 minutes of inactivity; ask for a new one only when an API call reports it has
    expired. Five failed logins in a row lock the contact (contract §6), so a refused login must not be
    retried.

    Args:
        body (LogInRequest): The credentials of a ThingSpace user.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[LogInResult | SessionError]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: LogInRequest,
) -> LogInResult | SessionError | None:
    """Start an M2M session

     Logs a ThingSpace user in and returns a session token for the `VZ-M2M-Token` header. The session
    expires after 20 minutes of inactivity; ask for a new one only when an API call reports it has
    expired. Five failed logins in a row lock the contact (contract §6), so a refused login must not be
    retried.

    Args:
        body (LogInRequest): The credentials of a ThingSpace user.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        LogInResult | SessionError
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
