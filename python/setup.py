"""Builds bertft._bertft with the repository's CMake build (python/CMakeLists.txt), then packages it.

The build directory is $BERTFT_BUILD_DIR, by default the repository's build/: when it is already
configured (scripts/test.sh, ctest), only the module and what changed are built, with that directory's
options. A new build directory is configured Release, without tests. Extra configure arguments:
$BERTFT_CMAKE_ARGS (e.g. "-DBERTFT_NATIVE=OFF").
"""

import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

REPO = Path(__file__).resolve().parent.parent


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        build_dir = Path(os.environ.get("BERTFT_BUILD_DIR", REPO / "build")).resolve()
        # The interpreter a virtual environment links to, not the environment's own path: the build
        # directory's cache keeps it, and must not break when the environment is deleted.
        configure = ["cmake", "-S", str(REPO), "-B", str(build_dir), "-DBERTFT_PYTHON=ON",
                     f"-DPython_EXECUTABLE={os.path.realpath(sys.executable)}"]
        if not (build_dir / "CMakeCache.txt").exists():
            configure += ["-DCMAKE_BUILD_TYPE=Release", "-DBERTFT_TESTS=OFF"]
            if shutil.which("ccache"):
                configure.append("-DCMAKE_CXX_COMPILER_LAUNCHER=ccache")
        configure += shlex.split(os.environ.get("BERTFT_CMAKE_ARGS", ""))
        jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL", str(os.cpu_count() or 1))
        subprocess.run(configure, check=True)
        subprocess.run(["cmake", "--build", str(build_dir), "--target", "_bertft", "-j", jobs], check=True)
        built = build_dir / "python" / ("_bertft" + sysconfig.get_config_var("EXT_SUFFIX"))
        target = Path(self.get_ext_fullpath(ext.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built, target)


setup(ext_modules=[Extension("bertft._bertft", sources=[])], cmdclass={"build_ext": CMakeBuild})
