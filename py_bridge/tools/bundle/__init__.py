"""`py-bridge build`: writes the deployable static bundle.

Layout (every asset is fetched relative to embed.js, so the folder can live under any path of any static host):

    embed.js                 the one tag (classic script: it finds its own URL through document.currentScript)
    worker.mjs               the module worker that starts Pyodide (stable name: embed.js refers to it)
    py_bridge-<hash>.zip     the pure-Python core (checksum baked into worker.mjs)
    stdlib-<hash>.zip        the trimmed standard library: only what Python and the core import at run time
    empty-<hash>.zip         an empty zip: the standard library of a start from the snapshot (Pyodide always fetches
                             one, and the snapshot already holds every module the core needs)
    snapshot-<hash>.bin      a Pyodide memory snapshot with the core imported, stored as a delta against the wasm's
                             initial memory (see web/snapshot.mjs and worker.mjs); first visits start from it
    pyodide-<hash>/          the pinned Pyodide runtime from npm, unchanged (Pyodide finds the wasm by its fixed name
                             next to pyodide.asm.mjs, so the FOLDER carries the hash); its full python_stdlib.zip is
                             fetched only when Python imports a standard module the trimmed zip lacks
    pyscript/                the pinned PyScript runtime, for the second entry (Python in a <script type="py">)
    manifest.json            versions, file names, sizes (raw, brotli, gzip) and hashes
    .py-bridge-build.json    the ledger: every file and folder this build wrote into the folder

Every name with a content hash never changes content: serve those with `Cache-Control: public, max-age=31536000,
immutable`, and only embed.js, worker.mjs and manifest.json with a short cache. Each compressible file gets a
precompressed `<file>.br` (brotli quality 11) and `<file>.gz` next to it, for hosts that serve precompressed files.

The OUT folder may be a site's own (its `public/`): the build deletes or overwrites only what its ledger says it
wrote (ledger.py).

One module a step, in the order of a build (assembly.py runs them): sources (the wheel's runtime or node_modules),
runtime (the Pyodide folder), core_zip, stdlib (the trace), snapshot (node.py runs Node for both; cache.py keeps
what it made), entry_points, compression, manifest, ledger (the move into OUT); wheel.py stages what a wheel
carries. content.py names files by their hash.
"""

from py_bridge.tools.bundle.assembly import BuildResult, build
from py_bridge.tools.bundle.content import IMMUTABLE_NAME, is_immutable
from py_bridge.tools.bundle.ledger import LEDGER, OutFolderError
from py_bridge.tools.bundle.node import EXERCISE
from py_bridge.tools.bundle.runtime import RUNTIME_FILES
from py_bridge.tools.bundle.sources import RuntimeFilesError, project_root
from py_bridge.tools.bundle.stdlib import trimmed_stdlib_members
from py_bridge.tools.bundle.wheel import stage_runtime

__all__ = [
    "EXERCISE",
    "IMMUTABLE_NAME",
    "LEDGER",
    "RUNTIME_FILES",
    "BuildResult",
    "OutFolderError",
    "RuntimeFilesError",
    "build",
    "is_immutable",
    "project_root",
    "stage_runtime",
    "trimmed_stdlib_members",
]
