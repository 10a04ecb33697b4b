"""Text for the benchmark data set (`manage.py seed_bench`): names, organisations, subjects and message bodies in
the portal's six languages.

Everything slow happens once, when the pools are built: templates are filled with random details into a few
thousand sentences per language and role, and a message is then a handful of sentences picked with
`random.choices` and joined, which costs a few microseconds for each of the millions of rows.

Two words are placed on purpose so that a benchmark can search for them: COMMON_WORD in about a tenth of the
requests and RARE_WORD in exactly a handful. Neither appears anywhere else in the pools (nor does any word that
starts with them, since search matches word prefixes).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

COMMON_WORD = "dashboard"
RARE_WORD = "zyxwvut"

# Organisations choose a language; most of their people read the portal in it. English is the most common.
LANGUAGE_WEIGHTS = {"en": 45, "de": 15, "es": 12, "id": 8, "ja": 12, "ko": 8}

TIME_ZONES = {
    "en": ["Europe/London", "America/New_York", "America/Chicago", "America/Los_Angeles", "Australia/Sydney", "UTC"],
    "de": ["Europe/Berlin", "Europe/Vienna", "Europe/Zurich"],
    "es": ["Europe/Madrid", "America/Mexico_City", "America/Bogota", "America/Argentina/Buenos_Aires"],
    "id": ["Asia/Jakarta", "Asia/Makassar"],
    "ja": ["Asia/Tokyo"],
    "ko": ["Asia/Seoul"],
}

# (given names, family names, "{given} {family}"-style format)
NAMES = {
    "en": (
        "Emma Liam Olivia Noah Ava James Mia Lucas Grace Henry Chloe Jack Ella Samuel Ruby Oscar Isla Leo".split(),
        "Smith Johnson Brown Taylor Wilson Evans Walker Wright Hughes Clarke Turner Hall Young King Patel".split(),
        "{given} {family}",
    ),
    "de": (
        "Lukas Anna Jonas Lea Felix Marie Jürgen Sabine Matthias Katrin Stefan Ute Jörg Bärbel Niklas".split(),
        "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schäfer Koch Hoffmann Schröder Groß".split(),
        "{given} {family}",
    ),
    "es": (
        "María José Lucía Javier Carmen Pablo Elena Diego Sofía Alejandro Marta Andrés Begoña Íñigo".split(),
        "García Fernández López Martínez Sánchez Pérez Gómez Martín Jiménez Ruiz Hernández Díaz Muñoz".split(),
        "{given} {family}",
    ),
    "id": (
        "Budi Siti Agus Dewi Rizky Putri Andi Wulan Fajar Indah Hendra Ayu Bayu Ratna Yusuf".split(),
        "Santoso Wijaya Saputra Hidayat Pratama Kusuma Lestari Nugroho Setiawan Gunawan Purnomo Halim".split(),
        "{given} {family}",
    ),
    "ja": (
        "翔太 花子 健一 美咲 大輔 陽菜 拓也 由美 直樹 さくら 蓮 結衣 悠斗 愛子".split(),
        "佐藤 鈴木 高橋 田中 伊藤 渡辺 山本 中村 小林 加藤 吉田 山田".split(),
        "{family} {given}",
    ),
    "ko": (
        "민준 서연 도윤 지우 하준 서윤 예준 지민 현우 수빈 은서 시우".split(),
        "김 이 박 최 정 강 조 윤 장 임 한 오".split(),
        "{family}{given}",
    ),
}

ORGANISATION_NAMES = {
    "en": (
        "Northwind Contoso Fabrikam Tailspin Litware Proseware Coho Wingtip Alpine Trey Lamna Woodgrove".split(),
        ["Traders", "Logistics", "Health", "Media", "Labs", "Holdings", "Airlines", "Foods", "Energy", "Software"],
        "{a} {b}",
    ),
    "de": (
        "Müller Rheinland Alpen Nordstern Hansa Schwarzwald Elbtal Bergmann Isartal Weserland".split(),
        ["Maschinenbau GmbH", "Logistik AG", "Versicherungen AG", "Stadtwerke", "Druckerei GmbH", "Handels-GmbH"],
        "{a} {b}",
    ),
    "es": (
        ["Grupo", "Industrias", "Transportes", "Farmacias", "Hoteles", "Construcciones", "Laboratorios"],
        ["Solaris", "Ibérica", "del Sur", "Mediterráneo", "Andina", "Atlántico", "Cantábrica", "Pampa"],
        "{a} {b}",
    ),
    "id": (
        ["Nusantara", "Sinar", "Maju", "Cahaya", "Mitra", "Bumi", "Karya", "Samudra"],
        ["Digital", "Abadi", "Sejahtera", "Logistik", "Teknologi", "Persada", "Mandiri", "Utama"],
        "PT {a} {b}",
    ),
    "ja": (
        ["さくら", "富士", "大和", "青空", "みなと", "北斗", "若葉", "東海"],
        ["システム", "物流", "製作所", "商事", "電機", "ホールディングス", "食品", "運輸"],
        "株式会社{a}{b}",
    ),
    "ko": (
        ["한빛", "미래", "새솔", "누리", "하나", "두리", "푸른", "세종"],
        ["테크", "물산", "시스템", "로지스", "솔루션", "바이오", "건설", "정보통신"],
        "(주){a}{b}",
    ),
}

AGENT_NAMES = (
    "Sam Alex Robin Jamie Morgan Casey Riley Taylor Jordan Avery Quinn Charlie Dana Kim Lee".split(),
    "Support Rivera Novak Okafor Lindqvist Moreau Tanaka Costa Kowalski Nguyen Berg Silva".split(),
)

# Languages write the same kinds of message; each entry holds its own grammar. Slots: {component}, {problem},
# {n}, {time}, {version}, {code}, {slug}. Japanese is written without spaces (joiner ""); the others with.
TEXT = {
    "en": {
        "joiner": " ",
        "components": [
            "PDF export", "scheduled report", "single sign-on", "API token", "user invitation", "billing page",
            "webhook", "CSV download", "search page", "mobile app", "email notification", "data connection",
            "custom field", "audit log", "time zone setting", "chart legend", "shared folder", "password reset",
            "Slack integration", "invoice", "SAML configuration", "data import", "user permission",
            "report builder", "calendar sync", "two-factor authentication", "file upload", "licence key",
        ],
        "problems": [
            "fails after the upgrade", "is very slow since Monday", "shows the wrong totals", "returns error 500",
            "never arrives", "times out after 30 seconds", "is missing for some users", "stopped working yesterday",
            "loops back to the sign-in page", "shows garbled characters", "cannot be deleted",
            "duplicates every row", "ignores the filter", "is blank in Safari", "rejects valid input",
        ],
        "subjects": [
            "{Component} {problem}", "{Component} {problem}", "{Component} {problem}",
            "Urgent: {component} {problem}", "How do I change the {component}?", "Question about the {component}",
            "Is there a limit on the {component}?",
            "Request for documentation on the {component}", "Can we turn off the {component} for one team?",
            "{Component} {problem} ({code})",
        ],
        "opening": [
            "Since {time} today the {component} {problem}.",
            "We did not change anything on our side, but the {component} {problem}.",
            "About {n} of our users are affected.",
            "Steps to reproduce:\n\n1. Sign in\n2. Open the {component}\n3. Wait a few seconds\n\nNothing happens.",
            "The error message says `{code}: request failed`.",
            "This is blocking our month-end reporting, so any workaround would help.",
            "We use version {version} on Windows and macOS.",
            "Could you tell us whether this is expected?",
            "It happens for **half** of our team, always in the morning.",
            "Our administrator already cleared the cache and restarted the browser.",
            "The same thing happened last quarter and went away by itself.",
            "Please treat this as urgent: our own customers notice it.",
            "We would like to know the recommended way to set up the {component}.",
        ],
        "followup": [
            "Thanks, we tried that, but the {component} still {problem}.",
            "It last happened at {time} for a user in our finance team.",
            "Thank you, that works now.",
            "We still see it after clearing the cache.",
            "Attached is the log from this morning; look for {code}.",
            "Any news on this? Our team is waiting.",
            "Yes, you can close this request.",
            "We can reproduce it every time with {n} rows.",
            "The workaround helps for now, but we need a real fix.",
            "Our IT department confirmed the firewall is not blocking anything.",
        ],
        "agent": [
            "Thanks for the report. Could you send us the exact time it last happened and the affected user?",
            "We reproduced the problem with the {component} and passed it to engineering.",
            "This is fixed in version {version}; please update and let us know.",
            "Here is the documentation you asked for: https://docs.example.com/{slug}",
            "Could you try again in a private browser window and tell us whether the {component} still {problem}?",
            "Our engineers found the cause, a timeout in the {component} service; the fix ships next week.",
            "As a workaround, export in smaller batches of {n} rows.",
            "I have raised this with the product team and will update you here.",
            "We have not heard back from you; is this still a problem?",
            "The logs show error {code} at {time}, which matches a known issue.",
            "You can change this under **Settings → {Component}**.",
        ],
        "internal": [
            "Checked the logs: matches the known caching issue {code}.",
            "Customer is on the legacy plan; escalate to tier 2 if it comes back.",
            "Linked to engineering ticket ENG-{n}.",
            "Called the customer, waiting for the logs.",
            "Same root cause as last week's incident on the {component}.",
        ],
        "greetings": ["Hello,", "Hi support team,", "Good morning,", "Dear support,", "", ""],
        "closings": ["Thanks,", "Best regards", "Kind regards", "Thank you!", "", ""],
        "agent_greetings": ["Hello,", "Hi,", "Thanks for reaching out.", ""],
        "agent_closings": ["Best regards,\nSupport", "Kind regards,\nThe support team", ""],
        "dashboard_subjects": [
            "Dashboard is empty after sign-in", "Dashboard tiles fail to load", "Slow dashboard for the sales team",
        ],
        "dashboard_sentence": "The dashboard shows nothing since this morning.",
        "rare_sentence": "The log mentions the reference {rare} every time.",
    },
    "de": {
        "joiner": " ",
        "components": [
            "PDF-Export", "Berichtsplanung", "Single-Sign-On-Anmeldung", "API-Schlüssel", "Benutzereinladung",
            "Rechnungsübersicht", "Webhook-Zustellung", "CSV-Download", "Suchergebnisseite", "Mobile App",
            "E-Mail-Benachrichtigung", "Datenbankverbindung", "Druckerwarteschlangenverwaltung",
            "Benutzerkontenberechtigungsverwaltung", "Zeitzoneneinstellung", "Diagrammlegende", "Freigabeordner",
            "Passwortzurücksetzung", "Kalendersynchronisierung", "Zwei-Faktor-Authentifizierung",
            "Lizenzschlüsselverwaltung", "Datenimportschnittstelle", "Monatsabschlussberichterstellung",
        ],
        "problems": [
            "funktioniert seit dem Update nicht mehr", "ist seit Montag extrem langsam", "zeigt falsche Summen",
            "liefert Fehler 500", "kommt nie an", "bricht nach 30 Sekunden ab", "fehlt bei einigen Benutzern",
            "geht seit gestern nicht mehr", "leitet immer wieder zur Anmeldung zurück", "zeigt falsche Umlaute",
            "lässt sich nicht löschen", "verdoppelt jede Zeile", "ignoriert den Filter",
        ],
        "subjects": [
            "{Component}: {problem}", "{Component}: {problem}", "{Component}: {problem}",
            "Dringend: {component} {problem}", "Frage zur Funktion „{component}“",
            "Wie ändern wir die Einstellung „{component}“?", "Dokumentation zur Funktion „{component}“ gesucht",
            "{Component}: {problem} ({code})",
        ],
        "opening": [
            "Seit heute {time} Uhr tritt bei der Funktion „{component}“ ein Fehler auf.",
            "Wir haben nichts geändert, aber die Funktion „{component}“ {problem}.",
            "Etwa {n} unserer Mitarbeiterinnen und Mitarbeiter sind betroffen.",
            "Die Fehlermeldung lautet `{code}: Anfrage fehlgeschlagen`.",
            "Das blockiert unseren Monatsabschluss, daher wäre ein Workaround sehr hilfreich.",
            "Wir verwenden Version {version} unter Windows und macOS.",
            "Ist dieses Verhalten so vorgesehen?",
            "Unsere Administratorin hat den Browsercache bereits geleert und die Anwendung neu gestartet.",
            "Die Berechtigungsüberprüfungsschnittstelle meldet dabei eine Zeitüberschreitung.",
            "Bitte behandeln Sie das dringend, unsere Kunden bemerken es bereits.",
            "Schritte zum Nachstellen:\n\n1. Anmelden\n2. „{component}“ öffnen\n3. Einige Sekunden warten",
        ],
        "followup": [
            "Danke, das haben wir versucht, aber die Funktion „{component}“ {problem}.",
            "Zuletzt trat es um {time} Uhr bei einem Kollegen aus der Buchhaltung auf.",
            "Vielen Dank, jetzt funktioniert es.",
            "Gibt es hierzu Neuigkeiten? Unser Team wartet.",
            "Sie können die Anfrage schließen.",
            "Wir können es mit {n} Zeilen jedes Mal reproduzieren.",
            "Der Workaround hilft vorerst, aber wir brauchen eine dauerhafte Lösung.",
            "Im Anhang finden Sie das Protokoll von heute Morgen; suchen Sie nach {code}.",
        ],
        "agent": [
            "Vielen Dank für Ihre Meldung. Können Sie uns den genauen Zeitpunkt und den betroffenen Benutzer nennen?",
            "Wir konnten das Problem mit der Funktion „{component}“ nachstellen und an die Entwicklung weitergegeben.",
            "Das ist in Version {version} behoben; bitte aktualisieren Sie und geben Sie uns Bescheid.",
            "Hier ist die gewünschte Dokumentation: https://docs.example.com/de/{slug}",
            "Als Workaround können Sie in kleineren Paketen von {n} Zeilen exportieren.",
            "Die Protokolle zeigen den Fehler {code} um {time} Uhr; das ist ein bekanntes Problem.",
            "Haben Sie unsere letzte Nachricht erhalten? Besteht das Problem weiterhin?",
            "Unsere Entwickler haben die Ursache gefunden: eine Zeitüberschreitung im Authentifizierungsdienst.",
            "Sie finden die Einstellung unter **Einstellungen → {Component}**.",
        ],
        "greetings": ["Hallo,", "Guten Tag,", "Sehr geehrte Damen und Herren,", ""],
        "closings": ["Viele Grüße", "Mit freundlichen Grüßen", "Danke und Gruß", ""],
        "agent_greetings": ["Hallo,", "Guten Tag,", ""],
        "agent_closings": ["Mit freundlichen Grüßen\nIhr Support-Team", "Viele Grüße\nSupport", ""],
        "dashboard_subjects": [
            "Dashboard bleibt nach der Anmeldung leer", "Dashboard-Kacheln laden nicht", "Dashboard sehr langsam",
        ],
        "dashboard_sentence": "Das Dashboard bleibt seit heute Morgen leer.",
        "rare_sentence": "In der Protokolldatei steht jedes Mal die Kennung {rare}.",
    },
    "es": {
        "joiner": " ",
        "components": [
            "exportación a PDF", "informe programado", "inicio de sesión único", "token de la API",
            "invitación de usuarios", "página de facturación", "webhook", "descarga en CSV", "búsqueda",
            "aplicación móvil", "notificación por correo", "conexión de datos", "campo personalizado",
            "registro de auditoría", "zona horaria", "leyenda del gráfico", "carpeta compartida",
            "restablecimiento de contraseña", "sincronización del calendario", "autenticación de dos factores",
            "clave de licencia", "importación de datos",
        ],
        "problems": [
            "falla después de la actualización", "va muy lenta desde el lunes", "muestra totales incorrectos",
            "devuelve el error 500", "nunca llega", "se corta a los 30 segundos", "no aparece para algunos usuarios",
            "dejó de funcionar ayer", "muestra caracteres extraños", "no se puede eliminar", "duplica cada fila",
            "ignora el filtro",
        ],
        "subjects": [
            "{Component} {problem}", "{Component} {problem}", "{Component} {problem}",
            "Urgente: {component} {problem}", "Consulta sobre {component}", "¿Cómo se configura {component}?",
            "Necesito más información sobre la factura",
            "{Component} {problem} ({code})",
        ],
        "opening": [
            "Desde las {time} de hoy, {component} {problem}.",
            "No hemos cambiado nada por nuestra parte, pero {component} {problem}.",
            "Afecta a unos {n} usuarios de nuestra empresa.",
            "El mensaje de error dice `{code}: solicitud fallida`.",
            "Esto bloquea nuestro cierre de mes, así que cualquier solución temporal nos ayudaría.",
            "Usamos la versión {version} en Windows y macOS.",
            "¿Podrían decirnos si este comportamiento es el esperado?",
            "Necesitamos más información sobre la factura de este mes.",
            "Nuestro administrador ya borró la caché y reinició el navegador.",
            "Pasos para reproducirlo:\n\n1. Iniciar sesión\n2. Abrir {component}\n3. Esperar unos segundos",
        ],
        "followup": [
            "Gracias, lo probamos, pero {component} {problem}.",
            "Ocurrió por última vez a las {time}, con una usuaria de contabilidad.",
            "Muchas gracias, ahora funciona.",
            "¿Hay novedades? Nuestro equipo está esperando.",
            "Pueden cerrar la solicitud.",
            "Lo reproducimos siempre con {n} filas.",
            "La solución temporal nos sirve por ahora, pero necesitamos una corrección definitiva.",
        ],
        "agent": [
            "Gracias por avisarnos. ¿Podría indicarnos la hora exacta y el usuario afectado?",
            "Hemos reproducido el problema con {component} y lo hemos enviado al equipo de ingeniería.",
            "Está corregido en la versión {version}; actualice y díganos si persiste.",
            "Aquí tiene la documentación: https://docs.example.com/es/{slug}",
            "Como solución temporal, exporte en lotes de {n} filas.",
            "Los registros muestran el error {code} a las {time}; coincide con un problema conocido.",
            "¿Sigue ocurriendo el problema? No hemos recibido respuesta.",
            "Puede cambiarlo en **Configuración → {Component}**.",
        ],
        "greetings": ["Hola,", "Buenos días,", "Estimado equipo de soporte:", ""],
        "closings": ["Gracias,", "Saludos cordiales", "Un saludo", ""],
        "agent_greetings": ["Hola,", "Buenos días,", ""],
        "agent_closings": ["Saludos cordiales,\nEl equipo de soporte", "Un saludo,\nSoporte", ""],
        "dashboard_subjects": [
            "El dashboard aparece vacío", "El dashboard no carga tras iniciar sesión", "Dashboard muy lento",
        ],
        "dashboard_sentence": "El dashboard aparece vacío desde esta mañana.",
        "rare_sentence": "En el registro aparece siempre la referencia {rare}.",
    },
    "id": {
        "joiner": " ",
        "components": [
            "ekspor PDF", "laporan terjadwal", "login SSO", "token API", "undangan pengguna", "halaman tagihan",
            "webhook", "unduhan CSV", "pencarian", "aplikasi seluler", "notifikasi email", "koneksi data",
            "kolom kustom", "log audit", "pengaturan zona waktu", "legenda grafik", "folder bersama",
            "atur ulang kata sandi", "sinkronisasi kalender", "autentikasi dua faktor", "kunci lisensi", "impor data",
        ],
        "problems": [
            "gagal setelah pembaruan", "sangat lambat sejak Senin", "menampilkan total yang salah",
            "mengembalikan error 500", "tidak pernah terkirim", "habis waktu setelah 30 detik",
            "hilang untuk beberapa pengguna", "berhenti berfungsi kemarin", "menampilkan karakter aneh",
            "tidak bisa dihapus", "menggandakan setiap baris", "mengabaikan filter",
        ],
        "subjects": [
            "{Component} {problem}", "{Component} {problem}", "{Component} {problem}",
            "Mendesak: {component} {problem}", "Pertanyaan tentang {component}",
            "Bagaimana cara mengubah {component}?", "Laporan terjadwal tidak terkirim",
            "{Component} {problem} ({code})",
        ],
        "opening": [
            "Sejak pukul {time} hari ini, {component} {problem}.",
            "Kami tidak mengubah apa pun, tetapi {component} {problem}.",
            "Sekitar {n} pengguna kami terdampak.",
            "Pesan galatnya: `{code}: permintaan gagal`.",
            "Ini menghambat laporan akhir bulan kami, jadi solusi sementara akan sangat membantu.",
            "Kami memakai versi {version} di Windows dan macOS.",
            "Apakah perilaku ini memang seharusnya?",
            "Admin kami sudah menghapus cache dan memulai ulang peramban.",
            "Langkah untuk mereproduksi:\n\n1. Masuk\n2. Buka {component}\n3. Tunggu beberapa detik",
        ],
        "followup": [
            "Terima kasih, sudah kami coba tetapi {component} masih {problem}.",
            "Terakhir terjadi pukul {time} pada pengguna di bagian keuangan.",
            "Terima kasih, sekarang sudah berfungsi.",
            "Apakah ada kabar terbaru? Tim kami menunggu.",
            "Permintaan ini boleh ditutup.",
            "Kami bisa mereproduksinya setiap kali dengan {n} baris.",
        ],
        "agent": [
            "Terima kasih atas laporannya. Bisakah Anda mengirimkan waktu kejadian dan pengguna yang terdampak?",
            "Kami berhasil mereproduksi masalah pada {component} dan sudah meneruskannya ke tim engineering.",
            "Masalah ini sudah diperbaiki di versi {version}; silakan perbarui dan beri tahu kami.",
            "Berikut dokumentasinya: https://docs.example.com/id/{slug}",
            "Sebagai solusi sementara, ekspor dalam kelompok {n} baris.",
            "Log menunjukkan error {code} pada pukul {time}; ini masalah yang sudah kami ketahui.",
            "Apakah masalahnya masih terjadi? Kami belum menerima balasan.",
        ],
        "greetings": ["Halo,", "Selamat pagi,", "Yth. tim dukungan,", ""],
        "closings": ["Terima kasih,", "Salam", "Hormat kami", ""],
        "agent_greetings": ["Halo,", "Selamat siang,", ""],
        "agent_closings": ["Salam,\nTim Dukungan", "Terima kasih,\nSupport", ""],
        "dashboard_subjects": ["Dashboard kosong setelah login", "Dashboard tidak bisa dibuka", "Dashboard lambat"],
        "dashboard_sentence": "Dashboard kosong sejak pagi ini.",
        "rare_sentence": "Di log selalu muncul kode {rare}.",
    },
    "ja": {
        "joiner": "",
        "components": [
            "PDFエクスポート", "定期レポート", "シングルサインオン", "APIトークン", "ユーザー招待", "請求ページ",
            "Webhook", "CSVダウンロード", "検索結果", "モバイルアプリ", "メール通知", "データ接続", "カスタム項目",
            "監査ログ", "タイムゾーン設定", "グラフの凡例", "共有フォルダ", "パスワード再設定", "カレンダー同期",
            "二要素認証", "ライセンスキー", "データ取り込み", "東京オフィスのプリンター",
        ],
        "problems": [
            "がアップデート後に失敗します", "が月曜日からとても遅いです", "の合計が正しくありません",
            "でエラー500が返されます", "が届きません", "が30秒でタイムアウトします", "が一部のユーザーに表示されません",
            "が昨日から動きません", "で文字化けが発生します", "を削除できません", "で行が重複します",
            "でフィルターが無視されます",
        ],
        "subjects": [
            "{component}{problem}", "{component}{problem}", "{component}{problem}", "【至急】{component}{problem}",
            "{component}について質問があります", "{component}の設定方法を教えてください",
            "{component}{problem}（{code}）",
        ],
        "opening": [
            "本日{time}ごろから{component}{problem}。",
            "こちらでは何も変更していませんが、{component}{problem}。",
            "社内の約{n}名が影響を受けています。",
            "エラーメッセージは`{code}: request failed`です。",
            "月末の締め処理が止まっているため、回避策があれば教えてください。",
            "WindowsとmacOSでバージョン{version}を使用しています。",
            "この動作は仕様でしょうか。",
            "管理者がキャッシュを削除してブラウザーを再起動しましたが、改善しませんでした。",
            "東京都内の全拠点で同じ現象が起きています。",
        ],
        "followup": [
            "ありがとうございます。試しましたが、{component}{problem}。",
            "最後に発生したのは{time}ごろで、経理部のユーザーでした。",
            "ありがとうございます、解決しました。",
            "進捗はいかがでしょうか。チームが待っています。",
            "このリクエストはクローズして問題ありません。",
            "{n}行のデータで毎回再現します。",
        ],
        "agent": [
            "ご連絡ありがとうございます。最後に発生した正確な時刻と、影響を受けたユーザーを教えていただけますか。",
            "{component}の問題を再現できましたので、開発チームに報告しました。",
            "バージョン{version}で修正済みです。アップデート後にお試しください。",
            "ドキュメントはこちらです: https://docs.example.com/ja/{slug}",
            "回避策として、{n}行ずつに分けてエクスポートしてください。",
            "ログに{time}のエラー{code}が記録されています。既知の問題と一致します。",
            "その後いかがでしょうか。問題が続いている場合はお知らせください。",
        ],
        "greetings": ["お世話になっております。", "サポートご担当者様", ""],
        "closings": ["よろしくお願いいたします。", "以上、よろしくお願いします。", ""],
        "agent_greetings": ["お問い合わせありがとうございます。", ""],
        "agent_closings": ["引き続きよろしくお願いいたします。\nサポートチーム", ""],
        "dashboard_subjects": ["Dashboardが表示されません", "Dashboardの読み込みが遅い", "Dashboardのタイルが空です"],
        "dashboard_sentence": "Dashboardの画面が今朝から真っ白です。",
        "rare_sentence": "ログには毎回 {rare} という識別子が出ています。",
    },
    "ko": {
        "joiner": " ",
        "components": [
            "PDF 내보내기", "예약 보고서", "SSO 로그인", "API 토큰", "사용자 초대", "청구 페이지", "웹훅",
            "CSV 다운로드", "검색 결과", "모바일 앱", "이메일 알림", "데이터 연결", "사용자 정의 필드", "감사 로그",
            "시간대 설정", "차트 범례", "공유 폴더", "비밀번호 재설정", "캘린더 동기화", "2단계 인증", "라이선스 키",
            "데이터 가져오기",
        ],
        "problems": [
            "업데이트 후 실패합니다", "월요일부터 매우 느립니다", "합계를 잘못 표시합니다", "오류 500을 반환합니다",
            "도착하지 않습니다", "30초 후 시간 초과됩니다", "일부 사용자에게 보이지 않습니다",
            "어제부터 작동하지 않습니다",
            "글자가 깨져서 표시됩니다", "삭제되지 않습니다", "모든 행을 중복합니다", "필터를 무시합니다",
        ],
        "subjects": [
            "{component} 기능이 {problem}", "{component} 기능이 {problem}", "[긴급] {component} 기능이 {problem}",
            "{component} 관련 문의", "{component} 설정 방법 문의", "예약된 보고서 발송이 실패합니다",
            "{component} 기능이 {problem} ({code})",
        ],
        "opening": [
            "오늘 {time}부터 {component} 기능이 {problem}.",
            "저희 쪽에서는 아무것도 변경하지 않았는데 {component} 기능이 {problem}.",
            "약 {n}명의 사용자가 영향을 받고 있습니다.",
            "오류 메시지는 `{code}: request failed`입니다.",
            "월말 마감 작업이 막혀 있어 임시 해결책이 있으면 알려 주세요.",
            "Windows와 macOS에서 {version} 버전을 사용하고 있습니다.",
            "이 동작이 정상인가요?",
            "관리자가 캐시를 지우고 브라우저를 다시 시작했지만 그대로입니다.",
        ],
        "followup": [
            "감사합니다. 시도해 보았지만 {component} 기능이 여전히 {problem}.",
            "마지막으로 {time}에 회계팀 사용자에게 발생했습니다.",
            "감사합니다. 이제 잘 작동합니다.",
            "진행 상황이 있을까요? 팀이 기다리고 있습니다.",
            "이 요청은 종료하셔도 됩니다.",
            "{n}개 행으로 매번 재현됩니다.",
        ],
        "agent": [
            "문의해 주셔서 감사합니다. 마지막으로 발생한 정확한 시간과 영향을 받은 사용자를 알려 주시겠어요?",
            "{component} 문제를 재현했으며 개발팀에 전달했습니다.",
            "{version} 버전에서 수정되었습니다. 업데이트 후 다시 시도해 주세요.",
            "관련 문서는 여기에 있습니다: https://docs.example.com/ko/{slug}",
            "임시 해결책으로 {n}개 행씩 나누어 내보내 주세요.",
            "로그에 {time}의 {code} 오류가 기록되어 있으며 알려진 문제와 일치합니다.",
            "문제가 계속 발생하나요? 아직 회신을 받지 못했습니다.",
        ],
        "greetings": ["안녕하세요.", "수고 많으십니다.", ""],
        "closings": ["감사합니다.", "잘 부탁드립니다.", ""],
        "agent_greetings": ["안녕하세요, 고객지원팀입니다.", ""],
        "agent_closings": ["감사합니다.\n고객지원팀 드림", ""],
        "dashboard_subjects": [
            "Dashboard가 표시되지 않습니다", "Dashboard 로딩이 느립니다", "Dashboard 타일이 비어 있습니다",
        ],
        "dashboard_sentence": "Dashboard 화면이 오늘 아침부터 비어 있습니다.",
        "rare_sentence": "로그에 매번 {rare} 식별자가 표시됩니다.",
    },
}  # fmt: skip

SLUGS = ["exports", "sso/saml", "api/limits", "reports/schedules", "webhooks", "permissions", "billing", "imports"]

# Characters per message: most are short, some long; the pools' sentences are joined until the length is reached.
MESSAGE_LENGTHS = ([60, 120, 200, 300, 450, 600, 800], [10, 22, 25, 18, 12, 8, 5])
CHAT_LENGTHS = ([20, 40, 80, 140], [20, 35, 30, 15])


def _fill(template: str, language: dict, rng: random.Random) -> str:
    component = rng.choice(language["components"])
    return template.format(
        component=component,
        Component=component[:1].upper() + component[1:],
        problem=rng.choice(language["problems"]),
        n=rng.choice([2, 3, 5, 12, 40, 150, 5000]),
        time=f"{rng.randint(7, 19):02}:{rng.randint(0, 59):02}",
        version=f"{rng.randint(3, 6)}.{rng.randint(0, 24)}.{rng.randint(0, 9)}",
        code=f"E{rng.randint(1000, 9999)}",
        slug=rng.choice(SLUGS),
        rare=RARE_WORD,
    )


@dataclass
class Sentences:
    """Filled sentences of one kind in one language, and how many to join for a message of a given length."""

    items: list[str]
    mean_length: float


class Pools:
    """The text of one language. Built once; `subject()` and the message methods are the hot path."""

    def __init__(self, code: str, rng: random.Random, size: int = 1500) -> None:
        language = TEXT[code]
        self.code = code
        self.joiner = language["joiner"]
        self.subjects = list(
            dict.fromkeys(_fill(rng.choice(language["subjects"]), language, rng)[:150] for _ in range(size * 2))
        )
        self.dashboard_subjects = language["dashboard_subjects"]
        self.dashboard_sentence = language["dashboard_sentence"]
        self.rare_sentence = language["rare_sentence"].format(rare=RARE_WORD)
        kinds = {"opening": "opening", "followup": "followup", "agent": "agent"}
        kinds["internal"] = "internal" if "internal" in language else "agent"
        self.sentences = {}
        for kind, key in kinds.items():
            source = TEXT["en"]["internal"] if kind == "internal" else language[key]
            items = [_fill(rng.choice(source), language, rng) for _ in range(size)]
            # A few sentences close a paragraph, so longer messages come in paragraphs as people write them.
            items = [item + "\n\n" if rng.random() < 0.2 else item for item in items]
            self.sentences[kind] = Sentences(items, sum(map(len, items)) / len(items))
        self.greetings = [f"{text}\n\n" if text else "" for text in language["greetings"]]
        self.closings = [f"\n\n{text}" if text else "" for text in language["closings"]]
        self.agent_greetings = [f"{text}\n\n" if text else "" for text in language["agent_greetings"]]
        self.agent_closings = [f"\n\n{text}" if text else "" for text in language["agent_closings"]]
        # For each target length, the number of sentences that reaches it on average (at least one).
        self._counts = {
            kind: [max(1, round(length / sentences.mean_length)) for length in MESSAGE_LENGTHS[0]]
            for kind, sentences in self.sentences.items()
        }
        self._chat_counts = [
            max(1, round(length / self.sentences["followup"].mean_length)) for length in CHAT_LENGTHS[0]
        ]

    def subject(self, rng: random.Random) -> str:
        return rng.choice(self.subjects)

    def message(self, kind: str, rng: random.Random, limit: int = 800) -> str:
        """A message of `kind` (opening, followup, agent, internal) of 50 to `limit` characters."""
        sentences = self.sentences[kind]
        count = rng.choices(self._counts[kind], cum_weights=_MESSAGE_CUM_WEIGHTS)[0]
        # Nobody says the same sentence twice in one message.
        parts = dict.fromkeys(rng.choices(sentences.items, k=count))
        text = self.joiner.join(parts).replace("\n\n ", "\n\n").strip()
        if kind == "agent":
            text = f"{rng.choice(self.agent_greetings)}{text}{rng.choice(self.agent_closings)}"
        elif kind != "internal":
            text = f"{rng.choice(self.greetings)}{text}{rng.choice(self.closings)}"
        while len(text) < 50:
            text = f"{text}\n\n{rng.choice(sentences.items).strip()}"
        return text[:limit]

    def chat_line(self, kind: str, rng: random.Random) -> str:
        count = rng.choices(self._chat_counts, cum_weights=_CHAT_CUM_WEIGHTS)[0]
        return self.joiner.join(rng.choices(self.sentences[kind].items, k=count)).replace("\n\n", " ").strip()


def _cumulative(weights: list[int]) -> list[int]:
    total, result = 0, []
    for weight in weights:
        total += weight
        result.append(total)
    return result


_MESSAGE_CUM_WEIGHTS = _cumulative(MESSAGE_LENGTHS[1])
_CHAT_CUM_WEIGHTS = _cumulative(CHAT_LENGTHS[1])


def build_pools(rng: random.Random) -> dict[str, Pools]:
    return {code: Pools(code, rng) for code in TEXT}


def person_name(language: str, rng: random.Random) -> str:
    given, family, pattern = NAMES[language]
    return pattern.format(given=rng.choice(given), family=rng.choice(family))


def agent_name(rng: random.Random) -> str:
    return f"{rng.choice(AGENT_NAMES[0])} {rng.choice(AGENT_NAMES[1])}"


def organisation_names(languages: list[str], rng: random.Random, taken: set[str]) -> list[str]:
    """A name for each organisation, in its language, unique and not in `taken`; repeats get a number, as
    companies' branches do."""
    seen: dict[str, int] = {}
    names = []
    for language in languages:
        first, second, pattern = ORGANISATION_NAMES[language]
        base = pattern.format(a=rng.choice(first), b=rng.choice(second))
        name = base
        while name in taken:
            seen[base] = seen.get(base, 1) + 1
            name = f"{base} {seen[base]}"
        taken.add(name)
        names.append(name)
    return names
