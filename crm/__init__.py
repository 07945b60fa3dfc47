"""Application factory."""

import os

from flask import Flask, render_template
from sqlalchemy import event
from sqlalchemy.engine import Engine

from config import DEFAULT_SECRET, Config, ProductionConfig


def create_app(config_class: type[Config] | None = None) -> Flask:
    """Build the app: config, extensions, blueprints, CLI, error pages, headers."""
    if config_class is None:
        config_class = ProductionConfig if os.environ.get("CRM_ENV") == "production" else Config
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(config_class)
    if config_class is ProductionConfig and app.config["SECRET_KEY"] == DEFAULT_SECRET:
        raise RuntimeError("生产环境必须通过环境变量 SECRET_KEY 设置密钥")
    os.makedirs(app.instance_path, exist_ok=True)
    if app.config.get("TRUSTED_PROXY_COUNT"):
        # Behind N trusted proxies only: the client address and scheme come from their X-Forwarded-*
        # headers (the login throttle counts per client). Without the flag the headers are ignored.
        from werkzeug.middleware.proxy_fix import ProxyFix

        count = app.config["TRUSTED_PROXY_COUNT"]
        # Flask's documented way to add WSGI middleware; its stubs declare wsgi_app as a method.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)  # type: ignore[method-assign]
    register_extensions(app)
    register_blueprints(app)
    register_template_helpers(app)
    register_error_pages(app)
    register_security_headers(app)
    from crm.cli import register_cli

    register_cli(app)
    from crm.scheduler import start_inprocess_scheduler

    start_inprocess_scheduler(app)  # only with CRM_SCHEDULER=inprocess (make run); never under gunicorn
    return app


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """SQLite: enforce foreign keys, use WAL so readers never block the writer."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=5000")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.close()


def register_extensions(app: Flask) -> None:
    from crm import models  # noqa: F401  (register tables with the metadata)
    from crm.extensions import bootstrap, csrf, db, login_manager, migrate
    from crm.services.dashboard import versions  # noqa: F401  (figures are kept exact by session events)

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"))
    csrf.init_app(app)
    bootstrap.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录"
    login_manager.login_message_category = "warning"

    from crm.blueprints.auth.loader import load_user, unauthorized

    login_manager.user_loader(load_user)
    login_manager.unauthorized_handler(unauthorized)


def register_blueprints(app: Flask) -> None:
    from crm.blueprints.admin import bp as admin_bp
    from crm.blueprints.assignments import bp as assignments_bp
    from crm.blueprints.auth import bp as auth_bp
    from crm.blueprints.converters import IdConverter
    from crm.blueprints.coverage import bp as coverage_bp
    from crm.blueprints.enterprises import bp as enterprises_bp
    from crm.blueprints.field import bp as field_bp
    from crm.blueprints.firm_portal import bp as firm_portal_bp
    from crm.blueprints.firm_voice import bp as firm_voice_bp
    from crm.blueprints.imports import bp as imports_bp
    from crm.blueprints.knowledge import bp as knowledge_bp
    from crm.blueprints.lists import bp as lists_bp
    from crm.blueprints.main import bp as main_bp
    from crm.blueprints.notifications import bp as notifications_bp
    from crm.blueprints.policies import bp as policies_bp
    from crm.blueprints.problems import bp as problems_bp
    from crm.blueprints.reports import bp as reports_bp
    from crm.blueprints.system import bp as system_bp
    from crm.blueprints.visits import bp as visits_bp

    app.url_map.converters["int"] = IdConverter  # before any route is added: path ids fit the database
    app.register_blueprint(auth_bp)
    app.register_blueprint(main_bp)
    app.register_blueprint(enterprises_bp, url_prefix="/enterprises")
    app.register_blueprint(imports_bp, url_prefix="/imports")
    app.register_blueprint(assignments_bp)
    app.register_blueprint(visits_bp)
    app.register_blueprint(field_bp)
    app.register_blueprint(lists_bp)
    app.register_blueprint(coverage_bp)
    app.register_blueprint(problems_bp, url_prefix="/problems")
    app.register_blueprint(knowledge_bp, url_prefix="/knowledge")
    app.register_blueprint(reports_bp, url_prefix="/reports")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(notifications_bp)
    app.register_blueprint(system_bp, url_prefix="/admin")
    app.register_blueprint(firm_voice_bp)
    app.register_blueprint(policies_bp)
    # The firms' public service pages (企业服务码): short links for the QR codes, no login.
    app.register_blueprint(firm_portal_bp, url_prefix="/s")


def register_template_helpers(app: Flask) -> None:
    from flask_login import current_user

    from crm.permissions import can
    from crm.timeutil import to_local

    @app.context_processor
    def inject_helpers():
        from crm.jobs import JOBS
        from crm.navigation import nav_items
        from crm.services.system.warnings import system_warnings
        from crm.timeutil import today

        return {
            "can": lambda action, obj=None: can(current_user, action, obj),
            "nav_items": nav_items,
            "has_endpoint": lambda endpoint: endpoint in app.view_functions,
            "system_warnings": lambda: system_warnings(current_user, today(), jobs=JOBS.values()),
        }

    @app.template_global()
    def url_with(**updates):
        """URL of the current page with its query arguments, some replaced (pagination, sorting)."""
        from flask import request, url_for

        view_args = request.view_args or {}
        # Query keys are the visitor's: one named like url_for's own options (_scheme, _method …) or
        # like a path argument would fail the build, so only the page's plain arguments are kept.
        kept = {k: v for k, v in request.args.items() if not k.startswith("_") and k not in view_args}
        args = kept | {k: v for k, v in updates.items() if v is not None}
        return url_for(request.endpoint, **view_args, **args)

    @app.template_filter("localtime")
    def localtime(value, fmt: str = "%Y-%m-%d %H:%M"):
        local = to_local(value)
        return local.strftime(fmt) if local else ""

    @app.template_filter("num")
    def num(value):
        if value is None:
            return ""
        return f"{value:,.2f}".rstrip("0").rstrip(".") if not isinstance(value, int) else f"{value:,}"

    @app.template_filter("money")
    def money(value):
        """Amounts in 万元 always with two decimals, so a column of amounts lines up (228.20, not 228.2)."""
        return "" if value is None else f"{value:,.2f}"


def register_error_pages(app: Flask) -> None:
    messages = {
        400: "请求无效，请返回重试",
        403: "没有权限执行此操作",
        404: "页面不存在或无权查看",
        413: "上传的文件过大",
        500: "系统出错了，请稍后重试",
    }

    def handler(error):
        code = getattr(error, "code", 500) or 500
        if code == 500:
            from crm.extensions import db

            db.session.rollback()
        message = messages.get(code, "请求出错")
        if code == 413:
            from crm.services.common.attachments import human_size

            limit = human_size(app.config["MAX_CONTENT_LENGTH"])
            message = f"上传的文件过大：每次提交合计不能超过{limit}，请压缩后或分几次上传"
        return render_template("errors.html", code=code, message=message), code

    for code in messages:
        app.register_error_handler(code, handler)

    from flask_wtf.csrf import CSRFError

    @app.errorhandler(CSRFError)
    def csrf_error(_error):
        return render_template("errors.html", code=400, message="页面已过期，请刷新后重试"), 400


def register_security_headers(app: Flask) -> None:
    @app.after_request
    def headers(response):
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'none'; form-action 'self'",
        )
        return response
