"""Webhook commands: add, list and remove webhooks, and read their delivery log."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..delivery import outbox, webhooks

webhook_group = AppGroup("webhook", help="Webhooks: URLs that get a signed POST for post events.")


@webhook_group.command("add")
@click.argument("url")
@click.option(
    "--events",
    default=",".join(outbox.PUBLIC_EVENTS),
    show_default=True,
    help="Comma-separated events to send.",
)
@click.option("--secret", default="", help="HMAC-SHA256 key; generated and shown when omitted.")
def webhook_add_command(url: str, events: str, secret: str) -> None:
    """Send a signed JSON POST to URL for each of the events."""
    names = [name.strip() for name in events.split(",") if name.strip()]
    try:
        hook = webhooks.add_webhook(url, names, secret)
    except ValueError as exc:
        raise click.ClickException(f"{url}: {exc}") from None
    click.echo(f"Added webhook {hook.id}: {hook.url} ({hook.events})")
    if not secret:
        click.echo(f"Secret (keep it to check X-Agentblog-Signature): {hook.secret}")


@webhook_group.command("list")
def webhook_list_command() -> None:
    """List the webhooks."""
    hooks = webhooks.list_webhooks()
    if not hooks:
        click.echo("No webhooks.")
    for hook in hooks:
        click.echo(f"{hook.id:>4}  {hook.url}  {hook.events}  since {hook.created_at:%Y-%m-%d}")


@webhook_group.command("remove")
@click.argument("webhook_id", metavar="ID", type=int)
def webhook_remove_command(webhook_id: int) -> None:
    """Remove the webhook ID and its delivery log."""
    if not webhooks.remove_webhook(webhook_id):
        raise click.ClickException(f"there is no webhook {webhook_id}")
    click.echo(f"Removed webhook {webhook_id}")


@webhook_group.command("deliveries")
@click.argument("webhook_id", metavar="ID", type=int, required=False)
@click.option("--hub", is_flag=True, help="Show the WebSub hub pings instead of a webhook's.")
@click.option("--limit", default=20, show_default=True, help="How many of the newest to show.")
def webhook_deliveries_command(webhook_id: int | None, hub: bool, limit: int) -> None:
    """Show the newest deliveries of webhook ID (or --hub): status codes, errors, attempts."""
    if (webhook_id is None) == (not hub):
        raise click.UsageError("give a webhook ID or --hub")
    log = webhooks.delivery_log(None if hub else webhook_id, limit)
    if not log:
        click.echo("No deliveries yet.")
    for delivery, attempts in log:
        event = delivery.event
        what = delivery.topic if hub else f"post {event.post_id}"
        click.echo(
            f"#{delivery.id}  {event.name}  {what}  {delivery.status}"
            f" after {delivery.attempts} attempt(s)"
        )
        for attempt in attempts:
            result = attempt.error or f"HTTP {attempt.status_code}"  # errors name non-2xx codes
            click.echo(
                f"    {attempt.number}. {attempt.at:%Y-%m-%d %H:%M:%S}Z  {result}"
                f"  ({attempt.duration_ms} ms)"
            )
