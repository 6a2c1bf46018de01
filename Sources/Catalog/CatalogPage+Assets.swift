// The inline stylesheet and script of images/index.html (no external assets, so file:// works).

extension CatalogPage {
    static let stylesheet = """
        .pictures{display:flex;flex-wrap:wrap;gap:10px;margin:8px 0}.pictures figure{margin:0;max-width:100%}
        .pictures img{max-width:480px;width:100%;border:1px solid var(--line)}.pictures figcaption{color:var(--muted);font-size:13px}
        .terminal pre{margin:0;padding:8px;background:#111;color:#ddd;font:12px/1.3 monospace;max-width:480px;overflow:auto}
        details.changes ul{margin:4px 0;padding-left:18px;font:13px/1.4 monospace}.unsigned{color:var(--muted)}
        :root{--fg:#1d232b;--muted:#5b6573;--line:#d7dce3;--bg:#f6f7f9;--card:#fff;--accent:#2456c9;--ok:#1d7a3a;--bad:#b3261e}
        *{box-sizing:border-box}body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg)}
        header{padding:20px 24px 12px;background:var(--card);border-bottom:1px solid var(--line)}
        h1{margin:0 0 4px;font-size:22px}.count{margin:0 0 12px;color:var(--muted)}
        .controls{display:flex;flex-wrap:wrap;gap:10px;align-items:center}
        .controls input[type=search]{flex:1 1 280px;padding:8px 10px;border:1px solid var(--line);border-radius:6px;font:inherit}
        .controls select{padding:7px;border:1px solid var(--line);border-radius:6px;font:inherit;background:#fff}
        main{display:grid;grid-template-columns:repeat(auto-fill,minmax(420px,1fr));gap:16px;padding:20px 24px}
        .image{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:16px 18px;min-width:0}
        .image h2{margin:0 0 6px;font-size:18px}.version{font-weight:400;color:var(--muted);font-size:14px}
        .badges{margin:0 0 8px}.badge{display:inline-block;padding:1px 8px;border-radius:999px;background:#eef1f5;font-size:12px;margin:0 4px 4px 0}
        .badge.feature{background:#e3ecff;color:var(--accent)}.verify-passed{background:#e2f4e7;color:var(--ok)}.verify-failed{background:#fbe4e2;color:var(--bad)}
        .description{margin:0 0 8px}
        dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:0 0 10px;font-size:13px}dt{color:var(--muted)}dd{margin:0;overflow-wrap:anywhere}
        code,pre{font:12px/1.4 ui-monospace,"DejaVu Sans Mono",monospace}
        pre{background:#0f1720;color:#e6edf3;padding:10px;border-radius:6px;overflow:auto;max-height:320px}
        .copy{padding:6px 12px;border:1px solid var(--accent);background:var(--accent);color:#fff;border-radius:6px;font:inherit;cursor:pointer}
        .copy.done{background:var(--ok);border-color:var(--ok)}details{margin-top:8px}summary{cursor:pointer;color:var(--muted)}
        .kinds{grid-column:1/-1;display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:16px}
        .badge.kind{background:#1d232b;color:#fff}.firmware-verified{background:#e2f4e7;color:var(--ok)}.firmware-unverified{color:var(--muted)}
        .empty{color:var(--muted)}footer{padding:8px 24px 24px;color:var(--muted);font-size:12px}
        """

    static let script = """
        (function(){
          var cards=Array.prototype.slice.call(document.querySelectorAll('.image'));
          var search=document.getElementById('search'),os=document.getElementById('os'),arch=document.getElementById('arch');
          var terminal=document.getElementById('terminal'),desktop=document.getElementById('desktop');
          function apply(){
            var words=search.value.toLowerCase().split(/\\s+/).filter(Boolean),shown=0;
            cards.forEach(function(card){
              var features=' '+card.dataset.features+' ';
              var ok=words.every(function(w){return card.dataset.search.indexOf(w)>=0;})
                &&(!os.value||card.dataset.os===os.value)&&(!arch.value||card.dataset.arch.split(' ').indexOf(arch.value)>=0)
                &&(!terminal.checked||features.indexOf(' terminal ')>=0)&&(!desktop.checked||features.indexOf(' desktop ')>=0);
              card.hidden=!ok;if(ok)shown++;
            });
            document.getElementById('shown').textContent=shown;
            document.getElementById('empty').hidden=shown>0;
          }
          [search,os,arch,terminal,desktop].forEach(function(el){el.addEventListener('input',apply);el.addEventListener('change',apply);});
          function fallbackCopy(text){
            var area=document.createElement('textarea');area.value=text;area.setAttribute('readonly','');
            area.style.position='fixed';area.style.opacity='0';document.body.appendChild(area);area.select();
            var ok=false;try{ok=document.execCommand('copy');}catch(e){}document.body.removeChild(area);return ok;
          }
          function done(button,ok){
            var label=button.textContent;button.textContent=ok?'Copied':'Select and copy by hand';button.classList.toggle('done',ok);
            setTimeout(function(){button.textContent=label;button.classList.remove('done');},1500);
          }
          document.querySelectorAll('.copy').forEach(function(button){
            button.addEventListener('click',function(){
              var text=document.getElementById(button.dataset.target).textContent;
              if(navigator.clipboard&&window.isSecureContext){
                navigator.clipboard.writeText(text).then(function(){done(button,true);},function(){done(button,fallbackCopy(text));});
              }else{done(button,fallbackCopy(text));}
            });
          });
          // `index.html#q=ubuntu` opens the page pre-filtered (links from the portal).
          var query=location.hash.match(/^#q=(.*)$/);if(query)search.value=decodeURIComponent(query[1]);
          apply();
        })();
        """
}
