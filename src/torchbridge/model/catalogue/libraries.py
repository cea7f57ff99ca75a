"""Calls of libraries that are not installed where the tests run: image readers and
processing (OpenCV, imageio, scikit-image), metrics (scikit-learn), plotting (matplotlib)
and tables (pandas).

Data only, each entry citing the documentation it comes from (a test checks that every
entry outside NumPy and torch has one). Readers return an ndarray; a reader that returns
None for an unreadable file (``cv2.imread``) is still recorded as an ndarray, since every
use of None as an array raises. The converters turn their array-like arguments into
ndarrays with NumPy, which calls ``Tensor.__array__``: it raises for a tensor that requires
grad or lives on a device, as the crashes people posted show (benchmarks/recall/posts
006, 009, 010: ``plt.plot(losses)``, ``accuracy_score(y, preds)``, ``roc_curve``).

Results reached through a library object's attributes, methods or subscripts
(``df.to_numpy()``, ``df.values``, ``h5file["x"][:]``) are model/array_sources.py's: the
entries here only make the objects (``pd.read_csv`` returns a DataFrame, ``h5py.File`` an
h5py object, ``Image.open`` a PIL image). ``np.asarray(Image.open(p))`` is an ndarray
through ``np.asarray`` itself, and a read-only one (model/read_only.py).
"""

from __future__ import annotations

from ..values import Kind, Layout
from .schema import ALL_POSITIONAL, Converts, Entry

NDARRAY, C = Kind.NDARRAY, Layout.CONTIGUOUS
ARRAYS = Converts.ARRAYS

_CV2 = "https://docs.opencv.org/4.x/"
_SKLEARN = "https://scikit-learn.org/stable/modules/generated/sklearn.metrics.{}.html"
_PYPLOT = "https://matplotlib.org/stable/api/_as_gen/matplotlib.pyplot.{}.html"

ENTRIES = (
    # OpenCV: results are new cv::Mat buffers, which are continuous, shown as C-contiguous ndarrays.
    Entry("cv2.imread", NDARRAY, layout=C, doc=_CV2 + "d4/da8/group__imgcodecs.html#gacbaa02cffc4ec2422dfa2e24412a99e2",
          note="None when the file cannot be read"),
    Entry("cv2.imdecode", NDARRAY, layout=C, doc=_CV2 + "d4/da8/group__imgcodecs.html#ga26a67788faa58ade337f8d28ba0eb19e"),
    Entry("cv2.cvtColor", NDARRAY, layout=C, doc=_CV2 + "d8/d01/group__imgproc__color__conversions.html"),
    Entry("cv2.resize", NDARRAY, layout=C, doc=_CV2 + "da/d54/group__imgproc__transform.html#ga47a974309e9102f5f08231edc7e7529d"),
    Entry("cv2.warpAffine", NDARRAY, layout=C, doc=_CV2 + "da/d54/group__imgproc__transform.html#ga0203d9ee5fcd28d40dbc4a1ea4451983"),
    Entry("cv2.warpPerspective", NDARRAY, layout=C,
          doc=_CV2 + "da/d54/group__imgproc__transform.html#gaf73673a7e8e18ec6963e3774e6a94b87"),
    Entry("cv2.GaussianBlur", NDARRAY, layout=C, doc=_CV2 + "d4/d86/group__imgproc__filter.html#gae8bdcd9154ed5ca3cbc1766d960f45c1"),
    Entry("cv2.flip", NDARRAY, layout=C, doc=_CV2 + "d2/de8/group__core__array.html#gaca7be533e3dac7feb70fc60635adf441",
          note="a new buffer, unlike np.flip's view: no negative strides"),
    Entry("cv2.applyColorMap", NDARRAY, layout=C, doc=_CV2 + "d3/d50/group__imgproc__colormap.html"),
    # imageio and scikit-image readers: an ndarray (imageio's v2 reader an ndarray subclass).
    Entry("imageio.imread", NDARRAY, doc="https://imageio.readthedocs.io/en/stable/_autosummary/imageio.v2.imread.html"),
    Entry("imageio.v2.imread", NDARRAY, doc="https://imageio.readthedocs.io/en/stable/_autosummary/imageio.v2.imread.html"),
    Entry("imageio.v3.imread", NDARRAY, doc="https://imageio.readthedocs.io/en/stable/_autosummary/imageio.v3.imread.html"),
    Entry("skimage.io.imread", NDARRAY, doc="https://scikit-image.org/docs/stable/api/skimage.io.html#skimage.io.imread"),
    Entry("skimage.transform.resize", NDARRAY,
          doc="https://scikit-image.org/docs/stable/api/skimage.transform.html#skimage.transform.resize"),
    Entry("skimage.color.rgb2gray", NDARRAY, doc="https://scikit-image.org/docs/stable/api/skimage.color.html#skimage.color.rgb2gray"),
    # Pillow: the calls that make an image (np.asarray of one is read-only: model/read_only.py).
    Entry("PIL.Image.open", Kind.PIL_IMAGE, doc="https://pillow.readthedocs.io/en/stable/reference/Image.html#PIL.Image.open"),
    Entry("PIL.Image.fromarray", Kind.PIL_IMAGE,
          doc="https://pillow.readthedocs.io/en/stable/reference/Image.html#PIL.Image.fromarray"),
    Entry("PIL.Image.new", Kind.PIL_IMAGE, doc="https://pillow.readthedocs.io/en/stable/reference/Image.html#PIL.Image.new"),
    Entry("PIL.Image.frombytes", Kind.PIL_IMAGE,
          doc="https://pillow.readthedocs.io/en/stable/reference/Image.html#PIL.Image.frombytes"),
    # scikit-learn metrics: check_array / column_or_1d convert their inputs with NumPy (with
    # the default array_api_dispatch=False; set to True, some accept tensors as they are).
    *(Entry(f"sklearn.metrics.{name}", converts=ARRAYS, reads=(0, 1, "y_true", "y_pred", "y_score", "y_prob"),
            doc=_SKLEARN.format(name))
      for name in ("accuracy_score", "f1_score", "precision_score", "recall_score", "roc_auc_score", "roc_curve",
                   "precision_recall_curve", "average_precision_score", "confusion_matrix", "classification_report",
                   "mean_squared_error", "mean_absolute_error", "r2_score", "balanced_accuracy_score", "log_loss",
                   "matthews_corrcoef", "cohen_kappa_score", "top_k_accuracy_score")),
    Entry("sklearn.metrics.auc", converts=ARRAYS, reads=(0, 1, "x", "y"), doc=_SKLEARN.format("auc")),
    # matplotlib.pyplot: data arguments become ndarrays (np.asarray / np.ma.asarray).
    *(Entry(f"matplotlib.pyplot.{name}", converts=ARRAYS, reads=(ALL_POSITIONAL,), doc=_PYPLOT.format(name))
      for name in ("plot", "scatter", "hist", "imshow", "bar", "barh", "fill_between", "errorbar", "semilogx",
                   "semilogy", "loglog", "step", "stem", "matshow", "contour", "contourf", "pcolormesh", "stackplot")),
    # pandas constructors: data that is not a pandas or NumPy object but has __array__ goes through np.asarray.
    Entry("pandas.DataFrame", Kind.DATAFRAME, converts=ARRAYS, reads=(0, "data"),
          doc="https://pandas.pydata.org/docs/reference/api/pandas.DataFrame.html"),
    Entry("pandas.Series", Kind.PANDAS, converts=ARRAYS, reads=(0, "data"),
          doc="https://pandas.pydata.org/docs/reference/api/pandas.Series.html"),
    # pandas readers: a DataFrame, or with chunksize= / iterator=True a reader of chunks.
    *(Entry(f"pandas.{name}", Kind.DATAFRAME, unless=("chunksize", "iterator"),
            doc=f"https://pandas.pydata.org/docs/reference/api/pandas.{name}.html")
      for name in ("read_csv", "read_table", "read_parquet", "read_feather", "read_fwf")),
    Entry("pandas.get_dummies", Kind.DATAFRAME, doc="https://pandas.pydata.org/docs/reference/api/pandas.get_dummies.html"),
    # h5py: a File is a Group; what its subscripts give is model/array_sources.py's.
    Entry("h5py.File", Kind.HDF5, doc="https://docs.h5py.org/en/stable/high/file.html"),
)
