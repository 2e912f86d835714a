from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.firmware_package import FirmwarePackage
from ...models.firmware_protocol import FirmwareProtocol
from ...models.fota_v3_error import FotaV3Error
from ...models.undocumented_error import UndocumentedError
from ...types import UNSET, Response


def _get_kwargs(
    acc: str,
    *,
    protocol: FirmwareProtocol,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_protocol: str = protocol
    params["protocol"] = json_protocol

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/firmware/{acc}".format(
            acc=quote(str(acc), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> FotaV3Error | UndocumentedError | list[FirmwarePackage] | None:
    if response.status_code == 200:
        response_200 = []
        _response_200 = response.json()
        for response_200_item_data in _response_200:
            response_200_item = FirmwarePackage.from_dict(response_200_item_data)

            response_200.append(response_200_item)

        return response_200

    if response.status_code == 400:
        response_400 = FotaV3Error.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = UndocumentedError.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = UndocumentedError.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = UndocumentedError.from_dict(response.json())

        return response_404

    if response.status_code == 429:
        response_429 = UndocumentedError.from_dict(response.json())

        return response_429

    if response.status_code == 500:
        response_500 = UndocumentedError.from_dict(response.json())

        return response_500

    if response.status_code == 502:
        response_502 = UndocumentedError.from_dict(response.json())

        return response_502

    if response.status_code == 503:
        response_503 = UndocumentedError.from_dict(response.json())

        return response_503

    if response.status_code == 504:
        response_504 = UndocumentedError.from_dict(response.json())

        return response_504

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[FotaV3Error | UndocumentedError | list[FirmwarePackage]]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    acc: str,
    *,
    client: AuthenticatedClient,
    protocol: FirmwareProtocol,
) -> Response[FotaV3Error | UndocumentedError | list[FirmwarePackage]]:
    """List available firmware

     Lists the firmware available for the devices of an account, filtered by protocol.

    Args:
        acc (str):
        protocol (FirmwareProtocol): Protocol filter of the list operation. `OMD-DM` (sic) is the
            wire spelling of OMA-DM; `all` is lowercase.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[FotaV3Error | UndocumentedError | list[FirmwarePackage]]
    """

    kwargs = _get_kwargs(
        acc=acc,
        protocol=protocol,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    acc: str,
    *,
    client: AuthenticatedClient,
    protocol: FirmwareProtocol,
) -> FotaV3Error | UndocumentedError | list[FirmwarePackage] | None:
    """List available firmware

     Lists the firmware available for the devices of an account, filtered by protocol.

    Args:
        acc (str):
        protocol (FirmwareProtocol): Protocol filter of the list operation. `OMD-DM` (sic) is the
            wire spelling of OMA-DM; `all` is lowercase.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        FotaV3Error | UndocumentedError | list[FirmwarePackage]
    """

    return sync_detailed(
        acc=acc,
        client=client,
        protocol=protocol,
    ).parsed


async def asyncio_detailed(
    acc: str,
    *,
    client: AuthenticatedClient,
    protocol: FirmwareProtocol,
) -> Response[FotaV3Error | UndocumentedError | list[FirmwarePackage]]:
    """List available firmware

     Lists the firmware available for the devices of an account, filtered by protocol.

    Args:
        acc (str):
        protocol (FirmwareProtocol): Protocol filter of the list operation. `OMD-DM` (sic) is the
            wire spelling of OMA-DM; `all` is lowercase.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[FotaV3Error | UndocumentedError | list[FirmwarePackage]]
    """

    kwargs = _get_kwargs(
        acc=acc,
        protocol=protocol,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    acc: str,
    *,
    client: AuthenticatedClient,
    protocol: FirmwareProtocol,
) -> FotaV3Error | UndocumentedError | list[FirmwarePackage] | None:
    """List available firmware

     Lists the firmware available for the devices of an account, filtered by protocol.

    Args:
        acc (str):
        protocol (FirmwareProtocol): Protocol filter of the list operation. `OMD-DM` (sic) is the
            wire spelling of OMA-DM; `all` is lowercase.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        FotaV3Error | UndocumentedError | list[FirmwarePackage]
    """

    return (
        await asyncio_detailed(
            acc=acc,
            client=client,
            protocol=protocol,
        )
    ).parsed
