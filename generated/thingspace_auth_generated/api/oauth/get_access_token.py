from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.o_auth_error import OAuthError
from ...models.o_auth_token import OAuthToken
from ...models.session_error import SessionError
from ...models.token_request import TokenRequest
from ...types import Response


def _get_kwargs(
    *,
    body: TokenRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/ts/v1/oauth2/token",
    }

    _kwargs["data"] = body.to_dict()
    headers["Content-Type"] = "application/x-www-form-urlencoded"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> OAuthError | OAuthToken | SessionError | None:
    if response.status_code == 200:
        response_200 = OAuthToken.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = OAuthError.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = OAuthError.from_dict(response.json())

        return response_401

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
) -> Response[OAuthError | OAuthToken | SessionError]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: TokenRequest,
) -> Response[OAuthError | OAuthToken | SessionError]:
    """Get an OAuth access token

     Exchanges the client credentials (`Authorization: Basic base64(client_id:client_secret)`) for an
    access token with the client-credentials grant. The token is valid for one hour (`expires_in`);
    asking again within that hour returns the same token (contract §6).

    Args:
        body (TokenRequest): The form body of a client-credentials token request.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[OAuthError | OAuthToken | SessionError]
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
    body: TokenRequest,
) -> OAuthError | OAuthToken | SessionError | None:
    """Get an OAuth access token

     Exchanges the client credentials (`Authorization: Basic base64(client_id:client_secret)`) for an
    access token with the client-credentials grant. The token is valid for one hour (`expires_in`);
    asking again within that hour returns the same token (contract §6).

    Args:
        body (TokenRequest): The form body of a client-credentials token request.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        OAuthError | OAuthToken | SessionError
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: TokenRequest,
) -> Response[OAuthError | OAuthToken | SessionError]:
    """Get an OAuth access token

     Exchanges the client credentials (`Authorization: Basic base64(client_id:client_secret)`) for an
    access token with the client-credentials grant. The token is valid for one hour (`expires_in`);
    asking again within that hour returns the same token (contract §6).

    Args:
        body (TokenRequest): The form body of a client-credentials token request.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[OAuthError | OAuthToken | SessionError]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: TokenRequest,
) -> OAuthError | OAuthToken | SessionError | None:
    """Get an OAuth access token

     Exchanges the client credentials (`Authorization: Basic base64(client_id:client_secret)`) for an
    access token with the client-credentials grant. The token is valid for one hour (`expires_in`);
    asking again within that hour returns the same token (contract §6).

    Args:
        body (TokenRequest): The form body of a client-credentials token request.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        OAuthError | OAuthToken | SessionError
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
