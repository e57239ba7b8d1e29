"""A live slider for a figure. The chapter draws the static version itself (for the site, the slides
and nbval); the slider is an extra for a reader running the notebook in Jupyter."""

import ipywidgets
import matplotlib.pyplot as plt


def slider(draw, **parameters):
    """Redraw ``draw(**values)`` whenever a slider moves; one slider per ``name=(low, high, step, value)``.

    Put the call in a cell that starts with ``# NBVAL_IGNORE_OUTPUT``: widget ids change between runs.
    """
    controls = {
        name: ipywidgets.FloatSlider(value=value, min=low, max=high, step=step, description=name,
                                     continuous_update=False)
        for name, (low, high, step, value) in parameters.items()
    }

    def redraw(**values):
        draw(**values)
        plt.show()

    return ipywidgets.interactive(redraw, **controls)
