"""Read electronic invoices: Factur-X / ZUGFeRD PDFs, CII and UBL XML (EN 16931).

Layer: bytes -> `Source`. The XML is parsed safely: any DOCTYPE is refused before parsing
(e-invoices have none; through one come entity bombs and external entities), then lxml
parses with entities, DTDs and the network off, keeping line numbers for the messages.
The XML is validated against the schemas shipped by the `factur-x` library. Read: number
(BT-1), issue date (BT-2), due date (BT-9, else the default terms), amount due (BT-115) or
total with VAT (BT-112), net (BT-109), the buyer (BG-7: name, SIREN, VAT id, address,
e-mail). A credit note (CII type 381, UBL CreditNote) names the invoice it reduces (BT-25).
"""

from __future__ import annotations

import logging
import re
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lxml import etree

from relancegit.importing.source import Buyer, CreditNote, Source, SourceInvoice, parse_amount, parse_date
from relancegit.safexml import XmlRefused, safe_parse

if TYPE_CHECKING:  # only annotations: `match` reads its statements without the model
    from relancegit.model import ImportSettings

_CII = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
_UBL = {
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
}
_UBL_INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
_UBL_CREDIT_NOTE = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
_CREDIT_NOTE_CODES = {"381", "261", "262", "396", "532"}  # UNTDID 1001 credit notes


def read_einvoice(path: Path, raw: bytes, kind: str, settings: ImportSettings) -> Source:
    source = Source(path, kind)
    if kind == "facturx":
        xml = _xml_of_pdf(source, raw)
        if xml is None:
            return source
        raw = xml
    try:
        root = safe_parse(raw)
    except XmlRefused as exc:
        source.error(exc.line, exc.column, exc.message)
        return source
    local = etree.QName(root).localname
    if local == "CrossIndustryInvoice":
        _check_schema(source, root, "factur-x")
        if not source.problems:
            _read_cii(source, root, settings)
    elif local in ("Invoice", "CreditNote") and etree.QName(root).namespace in (_UBL_INVOICE, _UBL_CREDIT_NOTE):
        _check_schema(source, root, "ubl-2.1-invoice" if local == "Invoice" else "ubl-2.1-creditnote")
        if not source.problems:
            _read_ubl(source, root, settings, credit_note=local == "CreditNote")
    else:
        source.error(root.sourceline or 1, 1, f"<{local}> is neither a CII (Factur-X) nor a UBL invoice")
    return source


def _xml_of_pdf(source: Source, raw: bytes) -> bytes | None:
    from facturx import get_xml_from_pdf

    logging.getLogger("factur-x").setLevel(logging.CRITICAL)  # its messages go to our output instead
    try:
        _, xml = get_xml_from_pdf(raw, check_xsd=False)
    except Exception as exc:  # the library raises bare exceptions on bad PDFs
        source.error(1, 1, f"cannot read the PDF: {exc}")
        return None
    if not xml:
        source.error(1, 1, "no Factur-X / ZUGFeRD XML in this PDF (a plain PDF invoice cannot be imported)")
        return None
    return bytes(xml)


def _check_schema(source: Source, root: Any, flavor: str) -> None:
    from facturx import xml_check_xsd

    logging.getLogger("factur-x").setLevel(logging.CRITICAL)
    try:
        xml_check_xsd(root, flavor=flavor)
    except Exception as exc:  # the library raises bare exceptions
        text = str(exc)
        found = re.search(r"line (\d+)", text)
        line = int(found.group(1)) if found else 1
        detail = text.splitlines()[-1] if text.strip() else type(exc).__name__
        source.error(line, 1, f"not valid against the {flavor} schema of the factur-x library: {detail}")


def _at(node: Any) -> int:
    return int(node.sourceline or 1)


def _text(root: Any, xpath: str, ns: dict[str, str]) -> tuple[str | None, int]:
    found = root.xpath(xpath, namespaces=ns)
    if not found:
        return None, _at(root)
    node = found[0]
    value = node.text
    return (value.strip() if value and value.strip() else None), _at(node)


def _read_cii(source: Source, root: Any, settings: ImportSettings) -> None:
    ns = _CII
    doc = "rsm:ExchangedDocument/"
    trade = "rsm:SupplyChainTradeTransaction/"
    buyer_path = trade + "ram:ApplicableHeaderTradeAgreement/ram:BuyerTradeParty/"
    settle = trade + "ram:ApplicableHeaderTradeSettlement/"
    totals = settle + "ram:SpecifiedTradeSettlementHeaderMonetarySummation/"

    def get(path: str) -> tuple[str | None, int]:
        return _text(root, path, ns)

    address = [
        get(buyer_path + f"ram:PostalTradeAddress/ram:{name}")[0] for name in ("LineOne", "LineTwo", "LineThree")
    ]
    postcode, city = (get(buyer_path + f"ram:PostalTradeAddress/ram:{n}")[0] for n in ("PostcodeCode", "CityName"))
    country = get(buyer_path + "ram:PostalTradeAddress/ram:CountryID")[0]
    buyer = _buyer(
        source,
        get(buyer_path + "ram:Name"),
        get(buyer_path + "ram:SpecifiedLegalOrganization/ram:ID"),
        get(buyer_path + "ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']")[0],
        get(buyer_path + "ram:URIUniversalCommunication/ram:URIID")[0],
        _postal(address, postcode, city, country),
    )
    _build(
        source,
        settings,
        number=get(doc + "ram:ID"),
        type_code=get(doc + "ram:TypeCode")[0],
        issued=get(doc + "ram:IssueDateTime/udt:DateTimeString"),
        due=get(settle + "ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString"),
        payable=get(totals + "ram:DuePayableAmount"),
        total=get(totals + "ram:GrandTotalAmount"),
        net=get(totals + "ram:TaxBasisTotalAmount")[0],
        buyer=buyer,
        referenced=get(settle + "ram:InvoiceReferencedDocument/ram:IssuerAssignedID")[0],
    )


def _read_ubl(source: Source, root: Any, settings: ImportSettings, credit_note: bool) -> None:
    ns = _UBL
    party = "cac:AccountingCustomerParty/cac:Party/"
    postal = party + "cac:PostalAddress/"

    def get(path: str) -> tuple[str | None, int]:
        return _text(root, path, ns)

    name = get(party + "cac:PartyLegalEntity/cbc:RegistrationName")
    if name[0] is None:
        name = get(party + "cac:PartyName/cbc:Name")
    email = get(party + "cac:Contact/cbc:ElectronicMail")[0] or get(party + "cbc:EndpointID[@schemeID='EM']")[0]
    address = [get(postal + f"cbc:{n}")[0] for n in ("StreetName", "AdditionalStreetName")]
    address.append(get(postal + "cac:AddressLine/cbc:Line")[0])
    buyer = _buyer(
        source,
        name,
        get(party + "cac:PartyLegalEntity/cbc:CompanyID"),
        get(party + "cac:PartyTaxScheme/cbc:CompanyID")[0],
        email,
        _postal(
            address,
            get(postal + "cbc:PostalZone")[0],
            get(postal + "cbc:CityName")[0],
            get(postal + "cac:Country/cbc:IdentificationCode")[0],
        ),
    )
    type_path = "cbc:CreditNoteTypeCode" if credit_note else "cbc:InvoiceTypeCode"
    _build(
        source,
        settings,
        number=get("cbc:ID"),
        type_code="381" if credit_note else get(type_path)[0],
        issued=get("cbc:IssueDate"),
        due=get("cbc:DueDate") if not credit_note else get("cac:PaymentMeans/cbc:PaymentDueDate"),
        payable=get("cac:LegalMonetaryTotal/cbc:PayableAmount"),
        total=get("cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount"),
        net=get("cac:LegalMonetaryTotal/cbc:TaxExclusiveAmount")[0],
        buyer=buyer,
        referenced=get("cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID")[0],
    )


def _postal(lines: list[str | None], postcode: str | None, city: str | None, country: str | None) -> tuple[str, ...]:
    parts = [line for line in lines if line]
    town = " ".join(p for p in (postcode, city) if p)
    if town:
        parts.append(town)
    if country and country.upper() != "FR" and parts:
        parts.append(country.upper())
    return tuple(parts)


def _buyer(
    source: Source,
    name: tuple[str | None, int],
    legal_id: tuple[str | None, int],
    vat: str | None,
    email: str | None,
    address: tuple[str, ...],
) -> Buyer | None:
    if name[0] is None:
        source.error(name[1], 1, "no buyer name (BT-44): the debtor must be named")
        return None
    siren = re.sub(r"\s", "", legal_id[0] or "") or None
    if siren is not None and len(siren) == 14 and siren.isdigit():
        siren = siren[:9]  # a SIRET starts with the SIREN
    if siren is not None and not (len(siren) == 9 and siren.isdigit()):
        siren = None  # another scheme's identifier (not a French SIREN)
    return Buyer(
        name=" ".join(name[0].split()),
        siren=siren,
        vat=(vat or "").replace(" ", "") or None,
        email=email,
        address=address,
    )


def _day(source: Source, found: tuple[str | None, int], what: str) -> date | None:
    if found[0] is None:
        return None
    day = parse_date(found[0], "%Y%m%d") or parse_date(found[0], "%Y-%m-%d")
    if day is None:
        source.error(found[1], 1, f"{what} {found[0]!r}: expected YYYYMMDD or YYYY-MM-DD")
    return day


def _build(
    source: Source,
    settings: ImportSettings,
    *,
    number: tuple[str | None, int],
    type_code: str | None,
    issued: tuple[str | None, int],
    due: tuple[str | None, int],
    payable: tuple[str | None, int],
    total: tuple[str | None, int],
    net: str | None,
    buyer: Buyer | None,
    referenced: str | None,
) -> None:
    before = len(source.problems)
    if number[0] is None:
        source.error(number[1], 1, "no invoice number (BT-1)")
    day = _day(source, issued, "issue date (BT-2)")
    if day is None and issued[0] is None:
        source.error(issued[1], 1, "no issue date (BT-2)")
    due_day = _day(source, due, "due date (BT-9)")
    amount_text = payable if payable[0] is not None else total
    amount = parse_amount(amount_text[0], ".") if amount_text[0] is not None else None
    if amount is None:
        source.error(amount_text[1], 1, "no amount due (BT-115) nor total with VAT (BT-112)")
    net_amount = parse_amount(net, ".") if net else None
    if len(source.problems) > before or buyer is None or day is None or amount is None or number[0] is None:
        return
    if type_code in _CREDIT_NOTE_CODES:
        source.credit_notes.append(CreditNote(number[0], day, abs(amount), referenced, buyer, source.file, number[1]))
        return
    if amount <= 0:
        source.paid.append(number[0])  # nothing left to pay (BT-115 is 0)
        return
    note = None
    if due_day is None:
        due_day = day + timedelta(days=settings.default_terms_days)
        note = f"no due date (BT-9): invoice date + {settings.default_terms_days} days (import.default_terms_days)"
    if net_amount is not None and not Decimal(0) < net_amount <= amount:
        net_amount = None
    source.invoices.append(
        SourceInvoice(number[0], day, due_day, amount, buyer, source.file, number[1], 1, net_amount, due_note=note)
    )
