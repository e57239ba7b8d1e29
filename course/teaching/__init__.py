"""Helpers the chapters share: sliders (:mod:`.sliders`) and exercise feedback (:mod:`.feedback`).

Notebooks in ``course/`` import ``teaching`` directly (Jupyter and nbval start the kernel in the
notebook's folder); ``course/solutions/`` notebooks add ``..`` to ``sys.path`` first. The exercise
checks of chapter NN are in ``teaching/chNN.py``.
"""
