"""Builds the esper package with the repository's CMake project and hands setuptools the package
CMake staged (<build>/python/package/esper: Python sources, esper/_native*.so, esper/proto/).

Which build tree:
  ESPER_BUILD_DIR=<dir>  an already configured tree (e.g. build/default): only the target
                         esper_python_package is built, against the libraries already there. Fast.
  otherwise              python/build/cmake, configured here (Release, no tests or benchmarks) with
                         this interpreter; the first build compiles the C++ libraries it needs
                         (minutes on two cores; ccache makes the next ones quick).
"""

import os
import pathlib
import shutil
import subprocess
import sys
import sysconfig

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent


class CMakeBuild(build_ext):
    def run(self):
        build_dir = os.environ.get("ESPER_BUILD_DIR")
        if build_dir:
            build_dir = pathlib.Path(build_dir).resolve()
            if not (build_dir / "CMakeCache.txt").exists():
                sys.exit("ESPER_BUILD_DIR=%s is not a configured CMake build tree" % build_dir)
        else:
            build_dir = HERE / "build" / "cmake"
            subprocess.check_call(["cmake", "-S", str(REPO), "-B", str(build_dir), "-G", "Ninja",
                                   "-DCMAKE_BUILD_TYPE=Release", "-DESPER_BUILD_TESTS=OFF",
                                   "-DESPER_BUILD_BENCHMARKS=OFF", "-DESPER_PYTHON3=" + sys.executable])
        subprocess.check_call(["cmake", "--build", str(build_dir), "--target", "esper_python_package"])

        staged = build_dir / "python" / "package" / "esper"
        suffix = sysconfig.get_config_var("EXT_SUFFIX")
        if not (staged / ("_native" + suffix)).exists():
            built = sorted(p.name for p in staged.glob("_native*"))
            sys.exit("the build tree's extension %s is not for this interpreter (%s wants _native%s); "
                     "configure it with -DESPER_PYTHON3=%s" % (built, sys.executable, suffix, sys.executable))
        target = pathlib.Path(self.build_lib) / "esper"
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(staged, target, ignore=shutil.ignore_patterns("__pycache__"))


setup(
    ext_modules=[Extension("esper._native", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
    zip_safe=False,
)
