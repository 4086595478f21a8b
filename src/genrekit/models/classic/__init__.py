"""Classic models on hand-crafted features: logistic regression, k-NN, SVM, random forest, XGBoost.

Importing this package registers them, and the ``classic`` family, with
:mod:`genrekit.models.registry`. Its modules, each importing only those above it:

``specs``       :class:`ClassicModel` (how a model is built, fitted, exported and restored),
                :class:`Exported` and :data:`CLASSIC_MODELS`
``estimators``  the five models, each exported to plain arrays and JSON (never pickled)
``saved``       :class:`FittedClassic`, the model a run folder holds, and :func:`load_classic`
``fit``         the grid search on train and valid: :func:`fit_classic`, :func:`search_space`
``importance``  XGBoost's :func:`feature_importances` and their plot
``train``       :func:`train_classic`, the family's trainer: a config in, a run folder out
"""

from __future__ import annotations

from genrekit.models.classic.estimators import SPECS
from genrekit.models.classic.fit import ClassicFit, check_params, fit_classic, search_space, valid_params
from genrekit.models.classic.importance import IMPORTANCE_CSV, IMPORTANCE_PNG, IMPORTANCE_TYPES, feature_importances
from genrekit.models.classic.saved import MODEL_ARRAYS, MODEL_JSON, FittedClassic, load_classic
from genrekit.models.classic.specs import CLASSIC_MODELS, ClassicModel, Exported
from genrekit.models.classic.train import SEARCH_CSV, configured, train_classic
from genrekit.models.registry import Family, ModelSpec, register_family, register_model

__all__ = [
    "CLASSIC_MODELS",
    "IMPORTANCE_CSV",
    "IMPORTANCE_PNG",
    "IMPORTANCE_TYPES",
    "MODEL_ARRAYS",
    "MODEL_JSON",
    "SEARCH_CSV",
    "ClassicFit",
    "ClassicModel",
    "Exported",
    "FittedClassic",
    "check_params",
    "configured",
    "feature_importances",
    "fit_classic",
    "load_classic",
    "register_classic",
    "search_space",
    "train_classic",
    "valid_params",
]


def register_classic(model: ClassicModel) -> None:
    """Add a classic model to the registry (training, loading, ``--list-models``)."""
    CLASSIC_MODELS[model.name] = model
    register_model(ModelSpec(model.name, "classic", ("features",), model.build, model.description))


for _model in SPECS:
    register_classic(_model)
register_family(Family("classic", train=train_classic, load=load_classic))
