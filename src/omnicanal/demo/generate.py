"""Building the demo retailer through the modules' service functions, one step at a time.

Each step is a function ``(session, demo, rng, report)`` in :data:`STEPS`. A step gets a
random generator seeded from the demo seed and the step's own name, so adding a step (the
customers, the orders) never changes what the steps before it produce.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from random import Random

from sqlalchemy.orm import Session

from omnicanal.catalog.schemas import ProductIn
from omnicanal.demo.analytics import measure_the_history, set_purchase_costs
from omnicanal.demo.assortment import plan_catalogue, plan_stock
from omnicanal.demo.customers import create_customers
from omnicanal.demo.engagement import run_journeys
from omnicanal.demo.loyalty import open_loyalty
from omnicanal.demo.orders import generate_orders
from omnicanal.demo.retailer import BRAND, STORES, TIMEZONE, WAREHOUSES, Site, store_hours
from omnicanal.demo.showcase import DemoStaff, create_showcase
from omnicanal.demo.store_work import leave_store_work
from omnicanal.inventory import service as inventory
from omnicanal.inventory.service import StockCount
from omnicanal.network import service as network
from omnicanal.network.schemas import Capabilities, LocationIn, LocationKind
from omnicanal.platform.actors import OPERATOR, ChannelKind
from omnicanal.platform.address import Address
from omnicanal.platform.auth import create_api_key
from omnicanal.pricing import products as priced

__all__ = ["STEPS", "DemoKey", "DemoRetailer", "Step", "generate", "is_empty"]

CATALOGUE_BATCH = 25
Report = Callable[[int, int], None]
"""Called by a step with (work done, work in all)."""


@dataclass(frozen=True)
class DemoKey:
    """An API key the demo created, with its secret (shown once)."""

    label: str
    channel: str
    location: str | None
    token: str


@dataclass
class DemoRetailer:
    """What the demo created, for the welcome screen and for later steps."""

    seed: int
    currency: str
    brand: str = BRAND
    stores: tuple[Site, ...] = STORES
    warehouses: tuple[Site, ...] = WAREHOUSES
    products: list[ProductIn] = field(default_factory=list)
    stock: list[StockCount] = field(default_factory=list)
    keys: list[DemoKey] = field(default_factory=list)
    staff: list[DemoStaff] = field(default_factory=list)
    history_carts: list[str] = field(default_factory=list)
    """The carts the history's customers started and bought from."""

    @property
    def sites(self) -> tuple[Site, ...]:
        return (*self.warehouses, *self.stores)

    @property
    def sku_count(self) -> int:
        return sum(len(product.variants) for product in self.products)

    def key(self, channel: str, location: str | None = None) -> DemoKey:
        """The demo key of a channel (and store)."""
        return next(k for k in self.keys if k.channel == channel and k.location == location)

    def sample_sku(self) -> str:
        """A SKU worth trying: a dress in M held by the warehouses and by the Lyon store."""
        held = {(line.sku, line.location): line.quantity for line in self.stock}
        skus = [v.sku for p in self.products for v in p.variants if v.size == "M"]
        skus += [v.sku for p in self.products for v in p.variants]
        for sku in skus:
            if (
                held.get((sku, "WH-SARAN"), 0) > 0
                and held.get((sku, "LYON-01"), 0) >= 2
                and held.get((sku, "PARIS-01"), 0) >= 2
            ):
                return sku
        return skus[0]


@dataclass(frozen=True)
class Step:
    """One step of the demo: its stable name (seeds its generator), its label, its work."""

    name: str
    label: str
    run: Callable[[Session, DemoRetailer, Random, Report], None]


def _location_in(site: Site) -> LocationIn:
    return LocationIn(
        code=site.code,
        name=site.name,
        kind=LocationKind.warehouse if site.is_warehouse else LocationKind.store,
        address=Address(
            line1=site.address_line,
            postcode=site.postcode,
            city=site.city,
            country="FR",
            latitude=site.latitude,
            longitude=site.longitude,
        ),
        timezone=TIMEZONE,
        capabilities=Capabilities(
            sells_in_store=not site.is_warehouse,
            ships=site.ships,
            click_and_collect=site.click_and_collect,
            accepts_returns=True,
        ),
        opening_hours=store_hours(site),
    )


def channel_plan(demo: DemoRetailer) -> dict[str, list[str]]:
    """Which locations fulfil each channel, preferred first (warehouses before stores)."""
    warehouses = [site.code for site in demo.warehouses]
    web_stores = [site.code for site in demo.stores if site.serves_web]
    online = [*warehouses, *web_stores]
    return {
        ChannelKind.web.value: online,
        ChannelKind.app.value: online,
        ChannelKind.call_centre.value: online,
        ChannelKind.store.value: [site.code for site in demo.stores],
        ChannelKind.marketplace.value: warehouses,
    }


def open_locations(session: Session, demo: DemoRetailer, rng: Random, report: Report) -> None:
    """The two warehouses and twelve stores, and which of them fulfil each channel."""
    network.ensure_default_channels(session)
    plan = channel_plan(demo)
    total = len(demo.sites) + len(plan)
    for done, site in enumerate(demo.sites, start=1):
        network.create_location(session, data=_location_in(site), actor=OPERATOR)
        report(done, total)
    for done, (channel, codes) in enumerate(plan.items(), start=len(demo.sites) + 1):
        network.set_channel_locations(
            session, channel_code=channel, location_codes=codes, actor=OPERATOR
        )
        report(done, total)


def create_catalogue(session: Session, demo: DemoRetailer, rng: Random, report: Report) -> None:
    """About 300 styles and 1,500 SKUs with their GTINs and list prices."""
    demo.products = plan_catalogue(rng)
    total, done = demo.sku_count, 0
    for start in range(0, len(demo.products), CATALOGUE_BATCH):
        batch = demo.products[start : start + CATALOGUE_BATCH]
        priced.create_priced_products(
            session, products=batch, actor=OPERATOR, currency=demo.currency
        )
        done += sum(len(product.variants) for product in batch)
        report(done, total)


def count_opening_stock(session: Session, demo: DemoRetailer, rng: Random, report: Report) -> None:
    """Opening stock at every site, as one bulk count."""
    demo.stock = plan_stock(rng, demo.products, demo.sites)
    total, done = len(demo.stock), 0

    def advance(lines: int) -> None:
        nonlocal done
        done += lines
        report(done, total)

    inventory.count_stock(
        session, lines=demo.stock, actor=OPERATOR, reason="demo: opening stock", progress=advance
    )


def create_keys(session: Session, demo: DemoRetailer, rng: Random, report: Report) -> None:
    """A key per remote channel, and till keys for the Lyon and Paris stores."""
    wanted: Sequence[tuple[str, ChannelKind, str | None]] = (
        ("Web shop", ChannelKind.web, None),
        ("Mobile app", ChannelKind.app, None),
        ("Call centre", ChannelKind.call_centre, None),
        ("Marketplace connector", ChannelKind.marketplace, None),
        ("Tills Lyon République", ChannelKind.store, "LYON-01"),
        ("Tills Paris Rivoli", ChannelKind.store, "PARIS-01"),
    )
    for done, (label, channel, code) in enumerate(wanted, start=1):
        place = network.get_location(session, code) if code else None
        _, token = create_api_key(session, channel=channel, name=f"{label} (demo)", location=place)
        demo.keys.append(DemoKey(label=label, channel=channel.value, location=code, token=token))
        report(done, len(wanted))


STEPS: tuple[Step, ...] = (
    Step("network", "Stores and warehouses", open_locations),
    Step("catalogue", "Catalogue", create_catalogue),
    Step("costs", "Purchase costs", set_purchase_costs),
    Step("stock", "Opening stock", count_opening_stock),
    Step("keys", "API keys", create_keys),
    Step("orders", "90 days of orders", generate_orders),
    Step("customers", "Customers and their activity", create_customers),
    Step("showcase", "A customer to serve, staff accounts", create_showcase),
    Step("store_work", "Work waiting in the stores, returns", leave_store_work),
    Step("loyalty", "Loyalty club, members and rewards", open_loyalty),
    Step("engagement", "Consents, triggers and today's messages", run_journeys),
    Step("kpis", "KPIs, survey answers and a finished pilot", measure_the_history),
)


def is_empty(session: Session) -> bool:
    """Whether the database holds no location yet (the demo only fills an empty one)."""
    return not network.list_locations(session)


def generate(
    session: Session,
    *,
    seed: int,
    currency: str = "EUR",
    progress: Callable[[Step, int, int], None] | None = None,
) -> DemoRetailer:
    """Create the demo retailer in the caller's transaction; the same seed, the same data."""
    demo = DemoRetailer(seed=seed, currency=currency)
    for step in STEPS:
        rng = Random(f"omnicanal-demo:{seed}:{step.name}")

        def report(done: int, total: int, step: Step = step) -> None:
            if progress is not None:
                progress(step, done, total)

        step.run(session, demo, rng, report)
    return demo
