"""My work, and completing or reopening a task from any page that lists it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from lana_core.app import Lana
from lana_http.web import forms
from lana_http.web.context import Viewer, page
from lana_http.web.controllers._base import AnyRequest, PageController


class WorkController(PageController):
    path = "/"

    @get("/work", name="my-work")
    async def my_work(self, *, lana: NamedDependency[Lana], viewer: NamedDependency[Viewer]) -> Template:
        """The signed-in user's open tasks, overdue first."""
        work = await lana.list_my_work(viewer.actor)
        return page("work.html", viewer, section="work", work=work)

    @post("/tasks/{task_id:uuid}/complete", name="task-complete")
    async def complete(
        self,
        *,
        request: AnyRequest,
        lana: NamedDependency[Lana],
        viewer: NamedDependency[Viewer],
        task_id: FromPath[UUID],
    ) -> Response[Any]:
        """Mark the task done (if nobody changed it since the page was read)."""
        return await _changed(request, lambda version: lana.complete_task(viewer.actor, task_id, version))

    @post("/tasks/{task_id:uuid}/reopen", name="task-reopen")
    async def reopen(
        self,
        *,
        request: AnyRequest,
        lana: NamedDependency[Lana],
        viewer: NamedDependency[Viewer],
        task_id: FromPath[UUID],
    ) -> Response[Any]:
        """Mark a done task as not done again."""
        return await _changed(request, lambda version: lana.reopen_task(viewer.actor, task_id, version))


async def _changed(request: AnyRequest, change: Callable[[int], Awaitable[object]]) -> Response[Any]:
    """Change the task at the version the form was read at, then go back to the page it came from."""
    form = await request.form()
    await change(forms.version(form))
    return Redirect(_back(form), status_code=303)


def _back(form: forms.Form) -> str:
    """The page the form came from: a path of this site, or My work."""
    target = forms.text(form, "back")
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/work"
