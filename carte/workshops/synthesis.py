"""A closed workshop's synthesis: its figures, a static SVG map, a PDF and an offline folium map.

The printable page and the PDF draw the map as server-side SVG (no JavaScript: WeasyPrint
does not run any, and paper has no tiles). The folium map is a standalone HTML file whose
Leaflet and Leaflet.heat are inlined from our vendored copies, so it opens offline.
"""

from __future__ import annotations

import html
import json
import math
import re
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from carte.models import Report
from carte.models.workshops import Workshop
from carte.workshops.projection import workshop_filter

QUOTES_MAX = 12
SVG_WIDTH = 640


def synthesis_data(session: Session, aggregates, workshop: Workshop, labels: dict[str, str]) -> dict:
    flt = workshop_filter(workshop)
    metropole = aggregates.territories(session, flt, "metropole", exact=True)
    communes = aggregates.territories(session, flt, "commune", exact=True)
    groups = aggregates.issue_groups(session, flt, exact=True)
    ranking = sorted(
        (
            {"theme": t["theme"], "label": labels.get(t["theme"], t["theme"]), "count": t["count"]}
            for t in metropole["themes"]
            if t["count"]
        ),
        key=lambda t: (-t["count"], t["label"]),
    )
    rows = session.execute(
        select(Report.title, Report.description, Report.commune_code, Report.lon, Report.lat, Report.theme_id)
        .where(Report.workshop_id == workshop.id, Report.status.in_(flt.statuses))
        .order_by(Report.created_at, Report.id)
    ).all()
    quotes = [
        {"title": r.title, "text": r.description, "commune": r.commune_code}
        for r in rows
        if (r.description or "").strip()
    ][:QUOTES_MAX]
    return {
        "count": len(rows),
        "contributors": metropole.get("contributors") or 0,
        "ranking": ranking,
        "communes": sorted(
            (
                {"code": p["code"], "nom": p["nom"], "count": p["count"], "rate_per_10k": p.get("rate_per_10k")}
                for p in communes["places"]
                if p["count"]
            ),
            key=lambda p: (-p["count"], p["nom"]),
        ),
        "groups": groups["groups"],
        "quotes": quotes,
        "points": [(r.lon, r.lat) for r in rows],
    }


# -- static SVG map --------------------------------------------------------------------------------


def _projector(features: list[dict]):
    xs, ys = [], []
    for f in features:
        for ring in _rings(f["geometry"]):
            xs.extend(p[0] for p in ring)
            ys.extend(p[1] for p in ring)
    min_x, max_x, min_y, max_y = min(xs), max(xs), min(ys), max(ys)
    k = math.cos(math.radians((min_y + max_y) / 2))  # equirectangular, good enough at this scale
    scale = SVG_WIDTH / ((max_x - min_x) * k)
    height = (max_y - min_y) * scale

    def project(lon: float, lat: float) -> tuple[float, float]:
        return (lon - min_x) * k * scale, (max_y - lat) * scale

    return project, height


def _rings(geometry: dict):
    if geometry["type"] == "Polygon":
        yield from geometry["coordinates"]
    elif geometry["type"] == "MultiPolygon":
        for polygon in geometry["coordinates"]:
            yield from polygon


def _classes(values: list[float], n: int = 5) -> list[float]:
    """Upper bounds of n equal-count classes (quantiles) of the positive values."""
    positive = sorted(v for v in values if v > 0)
    if not positive:
        return []
    return sorted({positive[min(len(positive) - 1, math.ceil(len(positive) * (i + 1) / n) - 1)] for i in range(n)})


PALETTE = ("#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15")


def svg_map(
    communes_geojson: bytes | str, counts: dict[str, int], points: list[tuple[float, float]]
) -> tuple[str, list[tuple[str, int]]]:
    """Communes shaded by their number of contributions, the contributions as dots; and the legend."""
    features = json.loads(communes_geojson)["features"]
    project, height = _projector(features)
    breaks = _classes(list(counts.values()))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {SVG_WIDTH} {height:.0f}" role="img" '
        f'aria-label="Carte des contributions par commune" class="synthesis-map">'
    ]
    for f in features:
        code = f["properties"].get("code")
        count = counts.get(code, 0)
        fill = "#f4f4f4"
        if count and breaks:
            fill = PALETTE[next(i for i, b in enumerate(breaks) if count <= b) + (len(PALETTE) - len(breaks))]
        d = " ".join(
            "M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in (project(*p[:2]) for p in ring)) + " Z"
            for ring in _rings(f["geometry"])
        )
        title = html.escape(f"{f['properties'].get('nom', code)} : {count}")
        parts.append(f'<path d="{d}" fill="{fill}" stroke="#666" stroke-width="0.5"><title>{title}</title></path>')
    for lon, lat in points:
        x, y = project(lon, lat)
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#1d3557" stroke="#fff" stroke-width="0.8"/>')
    parts.append("</svg>")
    return "".join(parts), _legend(breaks)


def _legend(breaks: list[int]) -> list[tuple[str, int]]:
    """(colour, upper bound) of each class, the darkest colours for the top classes."""
    return [(PALETTE[i + len(PALETTE) - len(breaks)], b) for i, b in enumerate(breaks)]


# -- PDF -------------------------------------------------------------------------------------------

STYLESHEET = Path(__file__).resolve().parents[1] / "static" / "css" / "synthesis.css"


def pdf_from_html(page: str, base_url: str | None = None) -> bytes:
    """WeasyPrint: maintained, CSS paged media, renders our own HTML and SVG (needs pango).

    The page's stylesheet is read from disk: the page has no inline <style> (the site's CSP forbids it),
    and WeasyPrint must not fetch it back from the server serving this very request.
    """
    from weasyprint import CSS, HTML

    return HTML(string=page, base_url=base_url).write_pdf(stylesheets=[CSS(filename=str(STYLESHEET))])


# -- offline folium map ----------------------------------------------------------------------------

_SCRIPT_RE = re.compile(r'<script src="(https?://[^"]+)"></script>')
_LINK_RE = re.compile(r'<link rel="stylesheet" href="(https?://[^"]+)"/>')


_CONTROLS_JS = """{% macro script(this, kwargs) %}
(function (map, legend, credits) {
  // Metric only: folium's own scale control shows miles too.
  L.control.scale({imperial: false, maxWidth: 160}).addTo(map);
  // The attribution control writes HTML: the credits go in as text through a DOM node.
  var source = L.control({position: "bottomright"});
  source.onAdd = function () {
    var box = L.DomUtil.create("div", "leaflet-control-attribution leaflet-control");
    box.textContent = credits;
    box.style.maxWidth = "28rem";
    return box;
  };
  source.addTo(map);
  var key = L.control({position: "bottomleft"});
  key.onAdd = function () {
    var box = L.DomUtil.create("div", "leaflet-control");
    box.style.background = "#fff"; box.style.padding = "6px 8px"; box.style.font = "12px/1.4 sans-serif";
    box.style.border = "1px solid #999"; box.style.borderRadius = "4px";
    var heading = document.createElement("strong");
    heading.textContent = legend.title;
    box.appendChild(heading);
    legend.classes.forEach(function (entry) {
      var row = document.createElement("div");
      var swatch = document.createElement("span");
      swatch.style.display = "inline-block"; swatch.style.width = "12px"; swatch.style.height = "12px";
      swatch.style.marginRight = "6px"; swatch.style.verticalAlign = "middle";
      swatch.style.background = entry[0]; swatch.style.border = "1px solid #999";
      row.appendChild(swatch);
      row.appendChild(document.createTextNode(entry[1]));
      box.appendChild(row);
    });
    return box;
  };
  key.addTo(map);
})({{ this._parent.get_name() }}, {{ this.legend|tojson }}, {{ this.credits|tojson }});
{% endmacro %}"""


def folium_map(
    communes_geojson: bytes | str,
    counts: dict[str, int],
    points: list[tuple[float, float]],
    vendor_dir: Path,
    title: str,
    *,
    credits: str,
    legend_title: str = "Contributions par commune",
) -> str:
    """A standalone HTML map (heatmap + choropleth) with every script and stylesheet inlined.

    It travels alone (a file handed out after the workshop), so it carries its own legend, the
    data credits the licences require, and a metric scale.
    """
    import folium
    from branca.element import MacroElement
    from folium.plugins import HeatMap
    from jinja2 import Template

    features = json.loads(communes_geojson)
    breaks = _classes(list(counts.values()))
    for f in features["features"]:
        properties = f["properties"]
        properties["contributions"] = counts.get(properties.get("code"), 0)
        # folium's GeoJsonTooltip writes the values into innerHTML: they go in escaped.
        properties["nom"] = html.escape(str(properties.get("nom", "")))

    def style(feature):
        count = feature["properties"]["contributions"]
        fill = "#f4f4f4"
        if count and breaks:
            fill = PALETTE[next(i for i, b in enumerate(breaks) if count <= b) + (len(PALETTE) - len(breaks))]
        return {"fillColor": fill, "color": "#666", "weight": 0.6, "fillOpacity": 0.7}

    fmap = folium.Map(location=[48.8566, 2.3522], zoom_start=10, tiles=None, control_scale=False)
    # Only Leaflet itself: no jQuery, Bootstrap or icon fonts, which this map does not use.
    fmap.default_js = [("leaflet", "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js")]
    fmap.default_css = [("leaflet_css", "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css")]
    folium.GeoJson(
        features,
        name="Contributions par commune",
        style_function=style,
        tooltip=folium.GeoJsonTooltip(fields=["nom", "contributions"], aliases=["Commune", "Contributions"]),
    ).add_to(fmap)
    if points:
        HeatMap([[lat, lon] for lon, lat in points], name="Carte de chaleur", radius=18).add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    controls = MacroElement()
    controls._template = Template(_CONTROLS_JS)
    controls.credits = credits
    controls.legend = {"title": legend_title, "classes": [(color, f"≤ {upper}") for color, upper in _legend(breaks)]}
    controls.add_to(fmap)
    fmap.fit_bounds([[48.72, 2.13], [49.01, 2.61]])  # the Métropole du Grand Paris
    fmap.get_root().header.add_child(folium.Element(f"<title>{html.escape(title)}</title>"))
    page = fmap.get_root().render()
    return inline_assets(page, vendor_dir)


def inline_assets(page: str, vendor_dir: Path) -> str:
    """Replace CDN <script>/<link> tags with the contents of our vendored files; refuse any other."""
    files = {
        "leaflet.js": vendor_dir / "leaflet" / "leaflet.js",
        "leaflet.css": vendor_dir / "leaflet" / "leaflet.css",
        "leaflet_heat.min.js": vendor_dir / "leaflet.heat" / "leaflet-heat.js",
    }

    def local(url: str) -> Path:
        name = url.rsplit("/", 1)[-1]
        if name not in files:
            raise ValueError(f"no vendored copy for {url}")
        return files[name]

    page = _SCRIPT_RE.sub(lambda m: "<script>\n" + local(m.group(1)).read_text("utf-8") + "\n</script>", page)
    page = _LINK_RE.sub(lambda m: "<style>\n" + local(m.group(1)).read_text("utf-8") + "\n</style>", page)
    return page
