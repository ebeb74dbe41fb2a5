"""Layout checks on a drawn matplotlib Figure: what a reader of the stored PNG would see cut off."""

from __future__ import annotations

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text


def texts_outside_canvas(figure: Figure) -> list[str]:
    """The visible, non-empty texts (titles, labels, tick labels, legend) not wholly inside the canvas."""
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    renderer = canvas.get_renderer()
    inside = figure.bbox
    undrawn = {id(label) for axes in figure.axes for label in _tick_labels_out_of_view(axes)}
    outside = []
    for text in figure.findobj(Text):
        if not text.get_visible() or not text.get_text().strip() or id(text) in undrawn:
            continue
        box = text.get_window_extent(renderer)
        if box.x0 < inside.x0 - 0.5 or box.y0 < inside.y0 - 0.5 or box.x1 > inside.x1 + 0.5 or box.y1 > inside.y1 + 0.5:
            outside.append(text.get_text())
    return outside


def _tick_labels_out_of_view(axes: Axes) -> list[Text]:
    """Tick labels matplotlib keeps but does not draw: their tick lies outside the axis' view."""
    labels = []
    for axis in (axes.xaxis, axes.yaxis):
        low, high = sorted(axis.get_view_interval())
        tolerance = (high - low) * 1e-9
        for tick in axis.get_major_ticks() + axis.get_minor_ticks():
            if not low - tolerance <= tick.get_loc() <= high + tolerance:
                labels += [tick.label1, tick.label2]
    return labels


def axes_labelled(figure: Figure, label: str) -> Axes:
    [axes] = [axes for axes in figure.axes if axes.get_label() == label]
    return axes


def pixel_at(figure: Figure, axes: Axes, x: float, y: float) -> tuple[int, int, int]:
    """The rendered RGB colour at data point (x, y) of `axes`."""
    import numpy as np

    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    image = np.asarray(canvas.buffer_rgba())
    column, row = axes.transData.transform((x, y))
    red, green, blue, _ = image[image.shape[0] - 1 - int(round(row)), int(round(column))]
    return int(red), int(green), int(blue)
