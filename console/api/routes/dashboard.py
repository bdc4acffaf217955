"""The service dashboard for ops staff: figures with their definitions, as JSON or as a CSV download."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request, Response, status

from console.analytics import Dashboard, Filters
from console.api.models import AtRiskOut, DashboardOut, errors
from console.deps import OpsDep, SettingsDep
from kefu.config import Settings

router = APIRouter(prefix="/api/dashboard", tags=["dashboard"], responses=errors(401, 403))
DEFAULT_SPAN = timedelta(days=7)
MAX_SPAN = timedelta(days=366)


def parse_moment(value: str, name: str, end_of_day: bool) -> datetime:
    """An ISO date or datetime as aware UTC; a date is its midnight, or the next one for an exclusive end."""
    text = value.strip()
    try:
        day = date.fromisoformat(text) if len(text) <= 10 else None
        moment = (datetime.combine(day, time(), UTC) + timedelta(days=1 if end_of_day else 0) if day
                  else datetime.fromisoformat(text))
    except ValueError:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            f"{name} must be an ISO date (2024-05-01) or datetime (2024-05-01T08:00:00Z), "
                            f"not {value!r}") from None
    # A datetime without an offset is taken as UTC, like every time the console shows.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def read_filters(start: str | None, end: str | None, channel: str | None, language: str | None,
                 label: int | None = None) -> Filters:
    """Query parameters to filters (default: the last 7 days); 422 for bad dates or ranges."""
    until = parse_moment(end, "end", end_of_day=True) if end else datetime.now(UTC)
    since = parse_moment(start, "start", end_of_day=False) if start else until - DEFAULT_SPAN
    if since >= until:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            f"start ({since.isoformat()}) must be before end ({until.isoformat()})")
    if until - since > MAX_SPAN:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            f"the range is {(until - since).days} days; the limit is {MAX_SPAN.days}")
    return Filters(since, until, channel or None, language or None, label)


def get_dashboard(request: Request, settings: Settings) -> Dashboard:
    """The app's dashboard, built on first use (engines are kept for the app's life)."""
    dashboard: Dashboard | None = getattr(request.app.state, "dashboard", None)
    if dashboard is None:
        dashboard = Dashboard(settings.tracker_url, settings.desk_url, settings.kb_url)
        request.app.state.dashboard = dashboard
    return dashboard


def _stamp(moment: datetime, end: bool) -> str:
    """A range bound for a file name: a day when it is midnight (the last day included, for an end)."""
    if moment.time() == time():
        return (moment - timedelta(days=1) if end else moment).date().isoformat()
    return moment.strftime("%Y-%m-%dT%H%MZ")


# Plain `def`: the report is synchronous SQL, so FastAPI runs it in its thread pool.
@router.get("", response_model=DashboardOut)
def read_dashboard(request: Request, user: OpsDep, settings: SettingsDep, start: str | None = None,
                   end: str | None = None, channel: str | None = None, language: str | None = None,
                   label: int | None = None, lang: Literal["zh", "en"] = "en") -> dict[str, Any]:
    """Every dashboard figure with its definition, the breakdowns and the trends for the range and filters;
    `lang` is the console's language (of labels and definitions), `language` the customers' (a filter), `label`
    a desk label's id (the hand-overs carrying it, and their customers' conversations)."""
    filters = read_filters(start, end, channel, language, label)
    return get_dashboard(request, settings).report(filters, lang)


@router.get(".csv", response_class=Response,
            responses={200: {"description": "The report as CSV.", "content": {"text/csv": {}}}})
def read_dashboard_csv(request: Request, user: OpsDep, settings: SettingsDep, start: str | None = None,
                       end: str | None = None, channel: str | None = None, language: str | None = None,
                       label: int | None = None, lang: Literal["zh", "en"] = "en") -> Response:
    """The same report as a CSV download."""
    filters = read_filters(start, end, channel, language, label)
    body = get_dashboard(request, settings).csv(filters, lang)
    name = f"kefu-dashboard-{_stamp(filters.start, False)}-{_stamp(filters.end, True)}.csv"
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/at-risk", response_model=AtRiskOut)
def read_at_risk(request: Request, user: OpsDep, settings: SettingsDep,
                 days: Annotated[int, Query(ge=1, le=366)] = 30,
                 lang: Literal["zh", "en"] = "en") -> dict[str, Any]:
    """Customers whose last `days` show rising frustration, repeated complaints or low ratings, riskiest first,
    each with a link to their latest hand-over on the desk."""
    return get_dashboard(request, settings).at_risk(datetime.now(UTC), days, lang)


@router.get("/at-risk.csv", response_class=Response,
            responses={200: {"description": "The list as CSV.", "content": {"text/csv": {}}}})
def read_at_risk_csv(request: Request, user: OpsDep, settings: SettingsDep,
                     days: Annotated[int, Query(ge=1, le=366)] = 30,
                     lang: Literal["zh", "en"] = "en") -> Response:
    """The same list as a CSV download (each row carries the list's definition)."""
    report = get_dashboard(request, settings).at_risk(datetime.now(UTC), days, lang)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["customer", "score", "reasons", "hand_overs", "complaints", "low_ratings", "detractor",
                     "frustration", "last_seen", "escalation_id", "conversations", "definition"])
    for c in report["customers"]:
        writer.writerow([c["customer"], c["score"], "; ".join(c["reasons"]), c["hand_overs"], c["complaints"],
                         c["low_ratings"], c["detractor"], " ".join(map(str, c["frustration"])), c["last_seen"] or "",
                         c["escalation_id"] or "", " ".join(c["conversations"]), report["definition"]])
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="kefu-at-risk-{days}d.csv"'})
